-- France services -> schema v1. Each labelled place is one structure (réseau `france-service`)
-- and one service with the same id, `france-services--<id_fs>`: the label's single offer,
-- free help with administrative procedures, as the ANCT itself describes every France
-- services place on its médiation numérique map. `date_maj` is the date of the list
-- (in its file name), else the place's labelling date.

create or replace temp table france_services_decisions as
select
    _row,
    'france-services--' || id as record_id,
    case when row_number() over (partition by id order by _row) > 1 then 'id-en-double' end as rule
from stg_france_services__structures;


create or replace table map_france_services__excluded as
select 'france-services' as source, e.entity, d.record_id, d.rule
from france_services_decisions as d
cross join (values ('structures'), ('services')) as e (entity)
where d.rule is not null;


create or replace table map_france_services__structures as
with places as (
    select s.* from stg_france_services__structures as s
    inner join france_services_decisions as d on d._row = s._row and d.rule is null
),

final as (
    select
        'france-services' as source,
        'france-services--' || p.id as id,
        truncate_text(p.nom, 150) as nom,
        p.date_maj,
        truncate_text(p.commentaire, 10000) as description,
        null::varchar as lien_source,
        null::varchar as siret,
        p.commune,
        p.code_postal,
        p.code_insee,
        p.adresse,
        p.complement_adresse,
        p.longitude,
        p.latitude,
        p.telephone,
        p.courriel,
        null::varchar as site_web,
        p.horaires as horaires_accueil,
        null::varchar as accessibilite_lieu,
        ['france-service'] as reseaux_porteurs
    from places as p
)

select * from final;


create or replace table map_france_services__services as
with places as (
    select s.* from stg_france_services__structures as s
    inner join france_services_decisions as d on d._row = s._row and d.rule is null
),

final as (
    select
        'france-services' as source,
        'france-services--' || p.id as structure_id,
        'france-services--' || p.id as id,
        'Accompagnement aux démarches administratives' as nom,
        truncate_text(concat_ws(
            chr(10) || chr(10),
            'Les agents France services accueillent, informent et accompagnent gratuitement chacun dans ses démarches '
            || 'administratives du quotidien (papiers, famille, santé, retraite, emploi, impôts, logement) auprès des '
            || 'organismes partenaires, et aident à utiliser leurs services en ligne.'
            || case when p.itinerant then ' Cet espace est itinérant.' else '' end,
            p.commentaire
        ), 10000) as description,
        null::varchar as lien_source,
        p.date_maj,
        'accompagnement' as type,
        [
            'difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives',
            'difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits',
            'numerique--acceder-a-des-services-en-ligne'
        ] as thematiques,
        'gratuit' as frais,
        null::varchar as frais_precisions,
        ['tous-publics'] as publics,
        null::varchar as publics_precisions,
        null::varchar as conditions_acces,
        p.commune,
        p.code_postal,
        p.code_insee,
        p.adresse,
        p.complement_adresse,
        p.longitude,
        p.latitude,
        p.telephone,
        p.courriel,
        ['en-presentiel'] as modes_accueil,
        case when coalesce(c.code_departement, p.departement) is not null
            then [coalesce(c.code_departement, p.departement)] end as zone_eligibilite,
        null::varchar as contact_nom_prenom,
        null::varchar as lien_mobilisation,
        merge_lists(
            ['se-presenter'],
            list_concat(
                case when p.telephone is not null then ['telephoner'] end,
                case when p.courriel is not null then ['envoyer-un-courriel'] end
            )
        ) as modes_mobilisation,
        ['professionnels', 'usagers'] as mobilisable_par,
        null::varchar as mobilisation_precisions,
        null::double as volume_horaire_hebdomadaire,
        null::bigint as nombre_semaines,
        p.horaires as horaires_accueil
    from places as p
    left join (select code_insee, min(code_departement) as code_departement from ref__communes group by all) as c
        on c.code_insee = p.code_insee
)

select * from final;
