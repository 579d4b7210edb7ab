-- Final code INSEE, postal code, commune, address and position of every input row:
-- int__territory_input + int__territory_codes + accepted geocoder results -> int__territory_result.
-- A position is the geocoder's (certified), else the producer's when it falls in the
-- commune's département (swapped latitude/longitude put back), else the commune's centre.

create or replace table int__territory_result as
with input as (
    select _rid, adresse, commune, code_postal, latitude, longitude from int__territory_input
),

codes as (
    select * from int__territory_codes
),

geocoded as (
    select q._rid, g.*, r.code_commune as g_code, r.code_arrondissement as g_arrondissement
    from int__territory_requests as q
    join int__geocodage_cache as g on g.key = q.key
    left join ref__codes_insee as r on r.code = g.result_citycode
    where geocode_accepted(g.result_score, g.result_type, g.adresse, g.commune)
),

located as (
    select
        i._rid,
        i.adresse as source_adresse,
        i.commune as source_commune,
        i.code_postal as source_code_postal,
        i.latitude as source_lat,
        i.longitude as source_lon,
        c.cp,
        g._rid is not null and g.latitude is not null as certified,
        g.result_score,
        g.result_type,
        g.result_name,
        g.result_postcode,
        g.latitude as g_lat,
        g.longitude as g_lon,
        coalesce(g.g_code, c.code_insee) as code_insee,
        case
            when g.g_code is null then c.code_arrondissement
            when g.g_code = c.code_insee then coalesce(g.g_arrondissement, c.code_arrondissement)
            else g.g_arrondissement
        end as code_arrondissement
    from input as i
    join codes as c on c._rid = i._rid
    left join geocoded as g on g._rid = i._rid
),

points as (
    select distinct source_lat as lat, source_lon as lon
    from located
    where source_lat is not null and source_lon is not null
),

-- the départements whose box holds the point, as given and with latitude and longitude swapped
boxes as (
    select p.lat, p.lon, list(e.code_departement) as departements
    from points as p
    join ref__emprises as e on p.lat between e.lat_min and e.lat_max and p.lon between e.lon_min and e.lon_max
    group by all
),

swapped_boxes as (
    select p.lat, p.lon, list(e.code_departement) as departements
    from points as p
    join ref__emprises as e on p.lon between e.lat_min and e.lat_max and p.lat between e.lon_min and e.lon_max
    group by all
),

checked as (
    select
        l.*,
        r.nom as commune,
        r.code_departement,
        case
            when l.source_lat is null and l.source_lon is null then 'absent'
            when l.source_lat is null or l.source_lon is null then 'incomplete'
            when list_contains(b.departements, r.code_departement) then 'ok'
            when list_contains(s.departements, r.code_departement) then 'swapped'
            when r.code_departement is null and b.departements is not null then 'ok'
            when r.code_departement is null and s.departements is not null then 'swapped'
            when b.departements is not null or s.departements is not null then 'other-departement'
            else 'outside-france'
        end as source_position
    from located as l
    left join ref__codes_insee as r on r.code = l.code_insee
    left join boxes as b on b.lat = l.source_lat and b.lon = l.source_lon
    left join swapped_boxes as s on s.lat = l.source_lat and s.lon = l.source_lon
),

postal as (
    -- the only postal code of the commune (or arrondissement), to fill a missing one
    select p.code_commune, p.code_arrondissement, min(p.code_postal) as code_postal
    from ref__postal as p
    group by all
    having count(distinct p.code_postal) = 1
),

positioned as (
    select
        k.*,
        coalesce(a.latitude, m.latitude) as centre_lat,
        coalesce(a.longitude, m.longitude) as centre_lon,
        coalesce(pa.code_postal, pc.code_postal) as only_postal_code
    from checked as k
    left join ref__commune_centres as a on a.code = k.code_arrondissement
    left join ref__commune_centres as m on m.code = k.code_insee
    left join postal as pa on pa.code_arrondissement = k.code_arrondissement
    left join postal as pc on pc.code_commune = k.code_insee and pc.code_arrondissement is null
),

final as (
    select
        _rid,
        code_insee,
        code_arrondissement,
        -- a postal code we cannot read is left as given, for the schema checks to judge
        case
            when certified then coalesce(result_postcode, cp)
            else coalesce(cp, clean_text(source_code_postal), only_postal_code)
        end as code_postal,
        -- the producer's spelling when it is the official name up to case, accents and punctuation
        case
            when commune is null then source_commune
            when same_name(source_commune, commune) then source_commune
            else commune
        end as commune,
        case when certified and result_type in ('housenumber', 'street', 'locality') then result_name
            else source_adresse end as adresse,
        case
            when certified then g_lat
            when source_position = 'ok' then source_lat
            when source_position = 'swapped' then source_lon
            else centre_lat
        end as latitude,
        case
            when certified then g_lon
            when source_position = 'ok' then source_lon
            when source_position = 'swapped' then source_lat
            else centre_lon
        end as longitude,
        coalesce(certified, false) as adresse_certifiee,
        case when certified then result_score end as geocodage_score,
        case
            when certified then case result_type
                when 'housenumber' then 'adresse' when 'street' then 'rue' when 'locality' then 'lieu-dit'
                else 'commune' end
            when source_position in ('ok', 'swapped') then 'source'
            when centre_lat is not null then case when code_arrondissement is not null then 'arrondissement' else 'commune' end
        end as geocodage_precision,
        source_position,
        source_lat,
        source_lon
    from positioned
)

select * from final order by _rid;
