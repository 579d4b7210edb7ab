-- What would be asked of the national geocoder, one row per input address:
-- int__territory_requests (_rid -> key) and int__geocodage_requests (key -> query).
-- The key is the normalised query, so the cache answers identical addresses once.

create or replace table int__territory_requests as
with input as (
    select
        i._rid,
        geocoder_address(i.adresse) as adresse,
        -- the postal code only when La Poste knows it (a CEDEX code misleads the geocoder)
        case when c.cp in (select code_postal from ref__postal) then c.cp end as code_postal,
        coalesce(c.commune, geocoder_commune(i.commune)) as commune,
        -- filter on the arrondissement: the geocoder files Paris, Lyon and Marseille addresses under it
        coalesce(c.code_arrondissement,
            case when c.code_insee not in ('75056', '69123', '13055') then c.code_insee end) as citycode
    from int__territory_input as i
    join int__territory_codes as c on c._rid = i._rid
),

final as (
    select
        _rid,
        md5(ascii_lower(concat_ws('|', coalesce(adresse, ''), coalesce(code_postal, ''),
            coalesce(commune, ''), coalesce(citycode, '')))) as key,
        adresse, code_postal, commune, citycode
    from input
    -- like data·inclusion: two of postal code, commune and code INSEE
    where (code_postal is not null)::int + (commune is not null)::int + (citycode is not null)::int >= 2
)

select * from final order by _rid;


create or replace table int__geocodage_requests as
select key, min(adresse) as adresse, min(code_postal) as code_postal,
    min(commune) as commune, min(citycode) as citycode
from int__territory_requests
group by key
order by key;
