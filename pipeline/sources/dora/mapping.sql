-- DORA -> schema v1. Ids are `dora--<DORA uuid>`; vocabularies in vocab/*.csv.

create or replace table map_dora__structures as
with structures as (
    select * from stg_dora__structures
),

referentiels as (
    select (select list(value) from ref__reseaux_porteurs) as reseaux_porteurs
),

vocab as (
    select t.m as m_typologies from vocab__typologies as t
),

final as (
    select
        'dora' as source,
        'dora--' || s.id as id,
        truncate_text(s.nom, 150) as nom,
        s.date_maj,
        truncate_text(coalesce(s.description_detail, s.description_resume), 10000) as description,
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
        s.horaires_ouverture as horaires_accueil,
        s.accessibilite as accessibilite_lieu,
        merge_lists(
            keep_valid(s.labels_nationaux, r.reseaux_porteurs),
            translate_list([s.typologie], v.m_typologies)
        ) as reseaux_porteurs
    from structures as s, referentiels as r, vocab as v
)

select * from final;


create or replace table map_dora__excluded as
select 'dora' as source, 'services' as entity, 'dora--' || id as record_id, 'service-suspendu' as rule
from stg_dora__services
where date_suspension < reference_date();


-- DORA says when a service's contact is not public (`contact_public = false`):
-- the RGPD stage masks its contact fields.
create or replace table map_dora__flags as
select 'dora' as source, 'services' as entity, 'dora--' || id as record_id, 'contact-non-public' as flag
from stg_dora__services
where contact_public = false;


create or replace table map_dora__services as
with services as (
    select * from stg_dora__services
    where date_suspension is null or date_suspension >= reference_date()
),

referentiels as (
    select
        (select list(value) from ref__thematiques) as thematiques,
        (select list(value) from ref__publics) as publics,
        (select list(value) from ref__modes_accueil) as modes_accueil,
        ['aide-financiere', 'aide-materielle', 'formation', 'atelier', 'accompagnement', 'information']
            as types_priority
),

vocab as (
    select
        t.m as m_thematiques, p.m as m_publics, o.m as m_modes, ty.m as m_types, f.m as m_frais, z.m as m_zones
    from vocab_dora__thematiques as t, vocab_dora__publics as p, vocab_dora__modes_orientation as o,
        vocab_dora__types as ty, vocab_dora__frais as f, vocab_dora__zones as z
),

regions as (
    select code_region, list(code order by code) as departements from ref__departements group by code_region
),

zones as (
    select
        s._row,
        case translate_one(s.zone_type, v.m_zones)
            when 'commune' then [s.zone_code]
            when 'departement' then [s.zone_code]
            when 'epci' then [s.zone_code]
            when 'region' then g.departements
            when 'pays' then ['france']
        end as zone_eligibilite
    from services as s
    cross join vocab as v
    left join regions as g on g.code_region = s.zone_code
),

mobilisation as (
    select
        s._row,
        merge_lists(
            translate_list(list_concat(s.modes_beneficiaire, s.modes_accompagnateur), v.m_modes),
            case when s.lien_mobilisation is not null then ['utiliser-lien-mobilisation'] end
        ) as modes_mobilisation,
        merge_lists(
            case when len(s.modes_beneficiaire) > 0 then ['usagers'] end,
            case when len(s.modes_accompagnateur) > 0 then ['professionnels'] end
        ) as mobilisable_par,
        case
            when s.modes_beneficiaire_autres = s.modes_accompagnateur_autres then s.modes_beneficiaire_autres
            else nullif(concat_ws(chr(10), s.modes_beneficiaire_autres, s.modes_accompagnateur_autres), '')
        end as mobilisation_precisions
    from services as s, vocab as v
),

final as (
    select
        'dora' as source,
        'dora--' || s.structure_id as structure_id,
        'dora--' || s.id as id,
        truncate_text(s.nom, 150) as nom,
        truncate_text(
            case
                when s.description_resume is not null and s.description_detail is not null
                    and position(s.description_resume in s.description_detail) = 0
                    then s.description_resume || chr(10) || chr(10) || s.description_detail
                else coalesce(s.description_detail, s.description_resume)
            end,
            10000
        ) as description,
        s.lien_source,
        s.date_maj,
        first_by_priority(translate_list(s.types, v.m_types), r.types_priority) as type,
        merge_lists(keep_valid(s.thematiques, r.thematiques), translate_list(s.thematiques, v.m_thematiques))
            as thematiques,
        translate_one(s.frais, v.m_frais) as frais,
        s.frais_precisions,
        publics_rule(merge_lists(
            keep_valid(s.publics, r.publics),
            translate_list(list_concat(s.profils, s.publics_libelles), v.m_publics)
        )) as publics,
        coalesce(s.publics_precisions, nullif(array_to_string(s.publics_libelles, ', '), '')) as publics_precisions,
        nullif(array_to_string(distinct_in_order(list_filter(s.conditions, lambda x: clean_text(x) is not null)), chr(10)), '')
            as conditions_acces,
        s.commune,
        s.code_postal,
        s.code_insee,
        s.adresse,
        s.complement_adresse,
        s.longitude,
        s.latitude,
        s.telephone,
        s.courriel,
        merge_lists(keep_valid(s.modes_accueil, r.modes_accueil), null) as modes_accueil,
        z.zone_eligibilite,
        s.contact_nom_prenom,
        s.lien_mobilisation,
        m.modes_mobilisation,
        m.mobilisable_par,
        m.mobilisation_precisions,
        s.volume_horaire_hebdomadaire,
        s.nombre_semaines,
        null::varchar as horaires_accueil
    from services as s
    cross join referentiels as r
    cross join vocab as v
    left join zones as z on z._row = s._row
    left join mobilisation as m on m._row = s._row
)

select * from final;
