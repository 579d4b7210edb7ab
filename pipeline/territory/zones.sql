-- zone_eligibilite of services: a zone type alone ("commune", "departement",
-- "region", "pays") becomes the codes of the service's own commune (else its
-- structure's); every code is checked against the reference, invalid ones are
-- removed and reported. -> int__territory_zones (_rid, zone_eligibilite), problems appended.

create or replace table int__territory_zone_items as
with structures as (
    select i.id, min(r.code_insee) as code_insee
    from int__territory_input as i
    join int__territory_result as r on r._rid = i._rid
    where i.entity = 'structures'
    group by i.id
),

services as (
    select i._rid, i.zone_eligibilite, coalesce(r.code_insee, s.code_insee) as code_insee
    from int__territory_input as i
    join int__territory_result as r on r._rid = i._rid
    left join structures as s on s.id = i.structure_id
    where i.entity = 'services' and i.zone_eligibilite is not null
),

items as (
    select _rid, code_insee, trim(unnest(zone_eligibilite)) as item from services
),

regions as (
    select code_region, list(code order by code) as departements from ref__departements group by code_region
),

final as (
    select
        i._rid,
        i.item,
        case
            when i.item is null or i.item = '' then []
            when ascii_lower(i.item) in ('france', 'pays') then ['france']
            when regexp_full_match(i.item, '99[0-5]\d{2}') then [i.item]  -- a country code of the COG
            when regexp_full_match(i.item, '\d{9}') then [i.item]  -- an EPCI SIREN (no reference to check it)
            when ascii_lower(i.item) = 'commune' then [c.code_commune]
            when ascii_lower(i.item) = 'departement' then [c.code_departement]
            when ascii_lower(i.item) = 'region' then g.departements
            when z.code is not null then [coalesce(z.code_arrondissement, z.code_commune)]
            when d.code is not null then [d.code]
        end as codes
    from items as i
    left join ref__codes_insee as c on c.code = i.code_insee
    left join regions as g on g.code_region = c.code_region
    left join ref__codes_insee as z on z.code = clean_code_insee(i.item)
    left join ref__departements as d on d.code = upper(case when length(i.item) = 1 then '0' || i.item else i.item end)
)

select * from final order by _rid, item;


create or replace table int__territory_zones as
select
    s._rid,
    nullif(list_sort(list_distinct(list_filter(
        flatten(coalesce(list(z.codes) filter (where z.codes is not null), [])), lambda x: x is not null))),
        []::varchar[]) as zone_eligibilite
from (select distinct _rid from int__territory_zone_items) as s
left join int__territory_zone_items as z on z._rid = s._rid
group by s._rid
order by s._rid;


insert into int__territory_problems
select _rid, 'zone_eligibilite', 'zone-eligibilite-code-invalide', item
from int__territory_zone_items
where item <> '' and (codes is null or len(list_filter(codes, lambda x: x is null)) > 0);
