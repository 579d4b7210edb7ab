-- score_qualite: the official criteria of data-inclusion-schema (v1/score_qualite.py),
-- computed against the run's reference date instead of the wall clock.
-- Each applicable criterion is rounded to 2 decimals, summed in the package's
-- order, divided by the number of applicable criteria and rounded again, with
-- Python's rounding (`quality_py_round`), as the package does. Reads the records chosen for
-- publication (`chk_published__services`, made by `check.publish_valid`).

create or replace table int__service_scores as
with services as (
    select * from chk_published__services
),

criteria as (
    select
        id,
        structure_id,
        -- adresse_bien_definie: only when the service is met in person
        case
            when list_contains(modes_accueil, 'en-presentiel') or list_contains(modes_mobilisation, 'se-presenter')
                then case when coalesce(adresse, '') <> '' then 1.0 else 0.0 end
        end as adresse_bien_definie,
        case
            when modes_mobilisation is not null and mobilisable_par is not null then 1.0
            when modes_mobilisation is not null or mobilisable_par is not null then 0.5
            else 0.0
        end as modes_mobilisation_bien_definis,
        case when len(publics) > 0 then 1.0 else 0.0 end as au_moins_un_public,
        case when len(thematiques) > 0 then 1.0 else 0.0 end as au_moins_une_thematique,
        case
            when coalesce(courriel, '') <> '' or coalesce(lien_mobilisation, '') <> '' or coalesce(telephone, '') <> ''
                then 1.0 else 0.0
        end as au_moins_un_moyen_de_contact,
        case
            when list_contains(modes_mobilisation, 'envoyer-un-courriel')
                then case when coalesce(courriel, '') <> '' then 1.0 else 0.0 end
        end as courriel_bien_defini,
        -- pendulum counts 6 months as 180 days and 2 years as 730; both bounds are strict
        case
            when source in ('agefiph', 'france-travail') then null
            when date_maj is null then 0.0
            when reference_date() - date_maj < 180 then 1.0
            when reference_date() - date_maj > 180 and reference_date() - date_maj < 730
                then (730 - (reference_date() - date_maj))::double / 550
            else 0.0
        end as date_maj_recente,
        -- a `payant` service with empty précisions makes the package raise; it scores as without précisions
        case
            when frais is null then 0.0
            when frais = 'payant' and coalesce(frais_precisions, '') = '' then 0.5
            else 1.0
        end as frais_bien_definis,
        case
            when length(description) < 50 then 0.0
            when length(description) < 200 then 0.5
            when length(description) < 2000 then 1.0
            else 0.5
        end as description_bien_definie,
        case
            when list_contains(modes_mobilisation, 'telephoner')
                then case when coalesce(telephone, '') <> '' then 1.0 else 0.0 end
        end as telephone_bien_defini
    from services
),

rounded as (
    select
        id,
        structure_id,
        quality_py_round(adresse_bien_definie::double, 2) as c1,
        quality_py_round(modes_mobilisation_bien_definis::double, 2) as c2,
        quality_py_round(au_moins_un_public::double, 2) as c3,
        quality_py_round(au_moins_une_thematique::double, 2) as c4,
        quality_py_round(au_moins_un_moyen_de_contact::double, 2) as c5,
        quality_py_round(courriel_bien_defini::double, 2) as c6,
        quality_py_round(date_maj_recente::double, 2) as c7,
        quality_py_round(frais_bien_definis::double, 2) as c8,
        quality_py_round(description_bien_definie::double, 2) as c9,
        quality_py_round(telephone_bien_defini::double, 2) as c10
    from criteria
),

final as (
    select
        id,
        structure_id,
        quality_py_round(
            (coalesce(c1, 0) + coalesce(c2, 0) + coalesce(c3, 0) + coalesce(c4, 0) + coalesce(c5, 0)
             + coalesce(c6, 0) + coalesce(c7, 0) + coalesce(c8, 0) + coalesce(c9, 0) + coalesce(c10, 0))
            / ((c1 is not null)::int + (c2 is not null)::int + (c3 is not null)::int + (c4 is not null)::int
               + (c5 is not null)::int + (c6 is not null)::int + (c7 is not null)::int + (c8 is not null)::int
               + (c9 is not null)::int + (c10 is not null)::int),
            2
        ) as score_qualite
    from rounded
)

select * from final order by id;


-- A structure scores the mean of its published services' scores (exact: scores have two decimals).
create or replace table int__structure_scores as
select
    structure_id as id,
    quality_py_round(sum(round(score_qualite * 100)::bigint)::double / count(*) / 100, 2) as score_qualite
from int__service_scores
group by structure_id
order by id;
