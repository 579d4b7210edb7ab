-- France Travail -> schema v1 structures (the agencies). Ids are
-- `france-travail--<agency code>`. As in the real pipeline: the public phone is
-- the national 3949, agency e-mails are never used, the référentiel is current
-- on the day it is read (date_maj = reference date). Hours are the walk-in
-- hours (not the appointment-only ones), closed on public holidays.

create or replace table map_france_travail__excluded as
select 'france-travail' as source, 'structures' as entity, 'france-travail--' || code as record_id, 'doublon' as rule
from stg_france_travail__structures
where code is not null
qualify row_number() over (partition by code order by _row desc) > 1;


create or replace table map_france_travail__structures as
with agences as (
    select * from stg_france_travail__structures
    qualify code is null or row_number() over (partition by code order by _row desc) = 1
),

-- One name per code: a commune nouvelle shares its code with its chef-lieu déléguée.
communes as (
    select code_insee, nom from ref__communes
    qualify row_number() over (partition by code_insee order by type <> 'commune-actuelle', nom) = 1
),

horaires as (
    select a._row, unnest(from_json(a.horaires, '[{
        "jour": "INTEGER", "horaireFerme": "VARCHAR", "horaireEnContinu": "VARCHAR",
        "ouvertureMatin": "VARCHAR", "fermetureMatin": "VARCHAR",
        "ouvertureApresMidi": "VARCHAR", "fermetureApresMidi": "VARCHAR"
    }]')) as h
    from agences as a
    where a.horaires is not null
),

weeks as (
    select
        _row,
        osm_opening_hours(json_group_object(
            ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'][h.jour],
            case
                when h.horaireEnContinu = 'O'
                    then [[h.ouvertureMatin, coalesce(h.fermetureApresMidi, h.fermetureMatin)]]
                else [[h.ouvertureMatin, h.fermetureMatin], [h.ouvertureApresMidi, h.fermetureApresMidi]]
            end
        )::varchar) as week
    from horaires
    where h.jour between 1 and 7 and coalesce(h.horaireFerme, 'N') <> 'O'
    group by _row
),

final as (
    select
        'france-travail' as source,
        'france-travail--' || a.code as id,
        truncate_text(a.nom, 150) as nom,
        reference_date() as date_maj,
        null::varchar as description,
        null::varchar as lien_source,
        a.siret,
        coalesce(c.nom, regexp_extract(a.ligne6, '^\d{5}\s+(.+)$', 1)) as commune,
        a.code_postal,
        a.code_insee,
        a.ligne4 as adresse,
        nullif(concat_ws(', ', a.ligne3, a.ligne5), '') as complement_adresse,
        a.longitude,
        a.latitude,
        '3949' as telephone,
        null::varchar as courriel,
        'https://www.francetravail.fr' as site_web,
        w.week || '; PH off' as horaires_accueil,
        case
            when a.dispositif_adeda
                then 'https://www.francetravail.fr/actualites/a-laffiche/2022/adeda-un-dispositif-pour-mieux-a.html'
        end as accessibilite_lieu,
        ['france-travail'] as reseaux_porteurs
    from agences as a
    left join communes as c on c.code_insee = a.code_insee
    left join weeks as w on w._row = a._row
)

select * from final;
