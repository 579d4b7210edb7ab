-- Lookup tables derived from the vendored communes reference, rebuilt at each load.

-- Every code of the COG -> its current commune (and arrondissement, when it is one).
create or replace table ref__codes_insee as
with codes as (
    select
        code_insee as code,
        -- a code shared by a current commune and its chef-lieu déléguée is the current commune
        arg_min(type, case type when 'commune-actuelle' then 0 when 'arrondissement-municipal' then 1 else 2 end) as type,
        arg_min(coalesce(commune_parente, code_insee),
            case type when 'commune-actuelle' then 0 when 'arrondissement-municipal' then 1 else 2 end) as parent
    from ref__communes
    group by code_insee
),

final as (
    select
        c.code,
        c.type,
        case when c.type = 'commune-actuelle' then c.code else c.parent end as code_commune,
        case when c.type = 'arrondissement-municipal' then c.code end as code_arrondissement,
        p.code_departement,
        p.code_region,
        p.nom
    from codes as c
    join ref__communes as p
        on p.code_insee = case when c.type = 'commune-actuelle' then c.code else c.parent end
        and p.type = 'commune-actuelle'
)

select * from final order by code;


-- Postal code -> current commune (and arrondissement), from La Poste's base and the COG's own list.
create or replace table ref__postal as
with from_la_poste as (
    select code_postal, code_insee as code from ref__codes_postaux
),

from_cog as (
    select unnest(string_split(codes_postaux, '|')) as code_postal, code_insee as code
    from ref__communes
    where codes_postaux is not null
),

final as (
    select distinct p.code_postal, c.code_commune, c.code_arrondissement
    from (select * from from_la_poste union all select * from from_cog) as p
    join ref__codes_insee as c on c.code = p.code
)

select * from final order by code_postal, code_commune;


-- One row per postal code: its current communes, sorted.
create or replace table ref__postal_codes as
select code_postal, list_sort(list_distinct(list(code_commune))) as communes
from ref__postal
group by code_postal
order by code_postal;


-- The arrondissement of a commune given a postal code, when that code has only one.
create or replace table ref__postal_arrondissements as
select code_postal, code_commune, min(code_arrondissement) as code_arrondissement
from ref__postal
where code_arrondissement is not null
group by code_postal, code_commune
having count(distinct code_arrondissement) = 1
order by code_postal;


-- Name key -> current commune, with the postal prefixes (département) where that
-- name is used and how official the name is (rank 1: the current commune's name;
-- 2: a déléguée, associée or arrondissement; 3: La Poste's commune name;
-- 4: La Poste's delivery label, which can name another commune: 75016 "PARIS"
-- is also Boulogne-Billancourt).
create or replace table ref__commune_names as
with names as (
    select nom as name, code_insee as code, code_departement as prefix,
        case when type = 'commune-actuelle' then 1 else 2 end as rank
    from ref__communes
    union all
    select nom_commune, code_insee, postal_prefix(code_postal), 3 from ref__codes_postaux
    union all
    select libelle_acheminement, code_insee, postal_prefix(code_postal), 4 from ref__codes_postaux
),

prefixes as (
    -- Corsica's postal codes start with 20, Saint-Barthélemy's and Saint-Martin's with 971.
    select n.name, c.code_commune, case when n.prefix in ('2A', '2B') then '20' else n.prefix end as prefix, n.rank
    from names as n
    join ref__codes_insee as c on c.code = n.code
    union all
    select r.nom, c.code_commune, postal_prefix(p.code_postal), case when r.type = 'commune-actuelle' then 1 else 2 end
    from ref__communes as r
    join ref__codes_insee as c on c.code = r.code_insee
    join ref__postal as p on p.code_commune = c.code_commune
),

keys as (
    select name, commune_key(name) as name_key from (select distinct name from names)
)

select k.name_key, p.prefix, p.code_commune, min(p.rank) as rank
from prefixes as p
join keys as k on k.name = p.name
where k.name_key is not null
group by all
order by all;


-- A point per current commune and arrondissement: its centroid, else the mean of the
-- centroids of the communes sharing its postal codes (communes created too recently).
create or replace table ref__commune_centres as
with own as (
    select code_insee as code, latitude, longitude
    from ref__communes
    where type in ('commune-actuelle', 'arrondissement-municipal') and latitude is not null
),

neighbours as (
    select p.code_commune as code, avg(o.latitude) as latitude, avg(o.longitude) as longitude
    from ref__postal as p
    join ref__postal as q on q.code_postal = p.code_postal and q.code_commune <> p.code_commune
    join own as o on o.code = q.code_commune
    where p.code_commune not in (select code from own)
    group by p.code_commune
)

select code, round(latitude, 5) as latitude, round(longitude, 5) as longitude
from (select * from own union all select * from neighbours)
order by code;


-- Bounding box of each département (commune centroids, widened by 0.15°, about 15 km),
-- plus the vendored boxes of the collectivities the reference has no point for.
create or replace table ref__emprises as
with from_centres as (
    select
        c.code_departement,
        min(r.latitude) - 0.15 as lat_min, max(r.latitude) + 0.15 as lat_max,
        min(r.longitude) - 0.15 as lon_min, max(r.longitude) + 0.15 as lon_max
    from ref__codes_insee as c
    join ref__commune_centres as r on r.code = c.code
    group by c.code_departement
),

vendored as (
    select code_departement, lat_min, lat_max, lon_min, lon_max
    from ref__emprises_outre_mer
    where code_departement not in (select code_departement from from_centres)
)

select * from (select * from from_centres union all select * from vendored) order by code_departement, lat_min;

