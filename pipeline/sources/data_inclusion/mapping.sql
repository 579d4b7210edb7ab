-- data·inclusion -> schema v1: the records are already in the schema, so this mapping
-- only republishes them under our source. `source` is `data-inclusion` (the pipeline
-- accounts, and ids are unique, per publishing source); ids become
-- `data-inclusion--<producer id>` (kept as is when already so prefixed). Values are not
-- corrected: the check stage quarantines what is invalid. A repeated id is excluded.

create or replace temp macro data_inclusion_id(x) as
    case when starts_with(x, 'data-inclusion--') then x else 'data-inclusion--' || x end;

create or replace temp table data_inclusion_decisions as
select
    entity,
    _row,
    data_inclusion_id(id) as record_id,
    case when id is not null and row_number() over (partition by entity, id order by _row) > 1 then 'id-en-double' end
        as rule
from (
    select 'structures' as entity, _row, id from stg_data_inclusion__structures
    union all
    select 'services', _row, id from stg_data_inclusion__services
);


create or replace table map_data_inclusion__excluded as
select 'data-inclusion' as source, entity, record_id, rule
from data_inclusion_decisions
where rule is not null;


create or replace table map_data_inclusion__structures as
select
    'data-inclusion' as source,
    data_inclusion_id(s.id) as id,
    truncate_text(s.nom, 150) as nom,
    s.date_maj,
    truncate_text(s.description, 10000) as description,
    s.lien_source,
    s.siret,
    s.commune,
    s.code_postal,
    s.code_insee,
    s.adresse,
    s.complement_adresse,
    s.longitude,
    s.latitude,
    s.telephone,
    s.courriel,
    s.site_web,
    s.horaires_accueil,
    s.accessibilite_lieu,
    merge_lists(s.reseaux_porteurs, null) as reseaux_porteurs
from stg_data_inclusion__structures as s
inner join data_inclusion_decisions as d on d.entity = 'structures' and d._row = s._row and d.rule is null;


create or replace table map_data_inclusion__services as
select
    'data-inclusion' as source,
    data_inclusion_id(s.structure_id) as structure_id,
    data_inclusion_id(s.id) as id,
    truncate_text(s.nom, 150) as nom,
    truncate_text(s.description, 10000) as description,
    s.lien_source,
    s.date_maj,
    s.type,
    merge_lists(s.thematiques, null) as thematiques,
    s.frais,
    s.frais_precisions,
    merge_lists(s.publics, null) as publics,
    s.publics_precisions,
    s.conditions_acces,
    s.commune,
    s.code_postal,
    s.code_insee,
    s.adresse,
    s.complement_adresse,
    s.longitude,
    s.latitude,
    s.telephone,
    s.courriel,
    merge_lists(s.modes_accueil, null) as modes_accueil,
    nullif(s.zone_eligibilite, []::varchar[]) as zone_eligibilite,
    s.contact_nom_prenom,
    s.lien_mobilisation,
    merge_lists(s.modes_mobilisation, null) as modes_mobilisation,
    merge_lists(s.mobilisable_par, null) as mobilisable_par,
    s.mobilisation_precisions,
    s.volume_horaire_hebdomadaire,
    s.nombre_semaines,
    s.horaires_accueil
from stg_data_inclusion__services as s
inner join data_inclusion_decisions as d on d.entity = 'services' and d._row = s._row and d.rule is null;
