-- What the sirétisation needs from SIRENE: every producer SIRET, cleaned, and
-- the places of the structures that have no usable SIRET.

create or replace table int__siret_needs as
with structures as (
    select
        id as structure_id,
        source,
        clean_text(siret) as siret_producteur,
        regexp_replace(coalesce(siret, ''), '[\s.]', '', 'g') as siret_clean,
        enrich_commune(code_insee) as commune,
        clean_text(code_postal) as code_postal
    from int__structures
),

checked as (
    select
        *,
        case when siret_producteur is not null then siret_problem(siret_clean) end as probleme
    from structures
),

final as (
    select
        structure_id,
        source,
        siret_producteur,
        probleme,
        case when siret_producteur is not null and probleme is null then siret_clean end as siret,
        commune,
        code_postal
    from checked
)

select * from final order by structure_id;
