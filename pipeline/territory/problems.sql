-- What the territory stage changed or could not do, per input row:
-- int__territory_problems (_rid, field, code, value); codes in pipeline/quality/errors.py.

create or replace table int__territory_problems as
with input as (
    select
        i._rid, i.code_insee as raw_code, i.code_postal as raw_cp, i.commune as raw_commune, i.adresse as raw_adresse,
        c.code_given, c.cp, g.code_commune as given_commune, r.code_insee, r.source_position, r.source_lat, r.source_lon
    from int__territory_input as i
    join int__territory_codes as c on c._rid = i._rid
    join int__territory_result as r on r._rid = i._rid
    left join ref__codes_insee as g on g.code = c.code_given
),

codes as (
    select _rid, 'code_insee' as field,
        case
            when code_insee is null and clean_text(raw_code) is not null and given_commune is null
                then 'code-insee-inconnu'
            when code_insee is null then 'commune-introuvable'
            else 'code-insee-corrige'
        end as code,
        case
            when code_insee is null and clean_text(raw_code) is not null and given_commune is null then trim(raw_code)
            when code_insee is null
                then concat_ws(' ', clean_text(raw_code), clean_text(raw_adresse), clean_text(raw_cp), clean_text(raw_commune))
            else trim(raw_code) || ' -> ' || code_insee
        end as value
    from input
    where (code_insee is null and coalesce(clean_text(raw_code), clean_text(raw_cp), clean_text(raw_commune),
                                           clean_text(raw_adresse)) is not null)
       or (code_insee is not null and clean_text(raw_code) is not null and given_commune is distinct from code_insee)
),

positions as (
    select _rid, 'latitude' as field,
        case source_position
            when 'incomplete' then 'coordonnees-invalides'
            when 'swapped' then 'coordonnees-inversees'
            when 'other-departement' then 'coordonnees-hors-departement'
            when 'outside-france' then 'coordonnees-hors-france'
        end as code,
        concat_ws(', ', source_lat::varchar, source_lon::varchar) as value
    from input
    where source_position in ('incomplete', 'swapped', 'other-departement', 'outside-france')
)

select * from codes
union all select * from positions
order by _rid, field, code;
