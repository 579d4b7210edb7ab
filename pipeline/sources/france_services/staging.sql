-- France services staging: one typed row per labelled place of the ANCT list.
-- Opening hours come as free text per day (`h_lundi`…`h_samedi`, e.g.
-- "09:00 - 12:00 / 13:30 - 17:00", "08:30-12:00", "-" for closed); they are read
-- into slots here and written as an OSM `opening_hours` string by the shared
-- `osm_opening_hours` function. A day cell that is not only times and separators,
-- or whose times do not increase, makes the whole week unreadable (no hours
-- rather than wrong hours).

create or replace table stg_france_services__structures as
with raw as (
    select _row, _file, data from raw_france_services__espaces
),

cells as (
    select r._row, d.osm, clean_text(r.data ->> d.col) as cell
    from raw as r
    cross join (
        values ('Mo', 'h_lundi'), ('Tu', 'h_mardi'), ('We', 'h_mercredi'), ('Th', 'h_jeudi'), ('Fr', 'h_vendredi'),
            ('Sa', 'h_samedi')
    ) as d (osm, col)
),

times as (
    select
        _row,
        osm,
        cell is null or regexp_full_match(cell, '[\s-]*') as closed,
        list_transform(
            regexp_extract_all(cell, '\d{1,2}\s*[:hH]\s*\d{2}'),
            lambda x: lpad(regexp_extract(x, '^\d{1,2}'), 2, '0') || ':' || right(x, 2)
        ) as t,
        regexp_full_match(regexp_replace(coalesce(cell, ''), '\d{1,2}\s*[:hH]\s*\d{2}', '', 'g'), '[\s/,;:à-]*')
            as only_times
    from cells
),

slots as (
    select
        _row,
        osm,
        case
            when closed then []::varchar[][]
            when only_times and len(t) > 0 and len(t) % 2 = 0
                -- strictly increasing within a slot, never going back between slots
                and len(list_filter(
                    range(1, len(t)), lambda i: case when i % 2 = 1 then t[i] >= t[i + 1] else t[i] > t[i + 1] end
                )) = 0
                then list_transform(range(1, len(t), 2), lambda i: [t[i], t[i + 1]])
        end as day_slots
    from times
),

weeks as (
    select
        _row,
        case when bool_and(day_slots is not null) then osm_opening_hours(json_group_object(osm, day_slots)::varchar) end
            as horaires
    from slots
    group by _row
),

address as (
    select
        _row,
        list_filter(
            list_transform(string_split(data ->> 'adresse', chr(10)), lambda x: clean_line(x)), lambda x: x is not null
        )
            as lines
    from raw
),

final as (
    select
        r._row,
        clean_text(r.data ->> 'id_fs') as id,
        clean_line(r.data ->> 'lib_fs') as nom,
        -- A multi-line address cell: first line is the street, the others its complement.
        a.lines[1] as adresse,
        coalesce(clean_line(r.data ->> 'complement_adresse'), nullif(array_to_string(a.lines[2:], ', '), ''))
            as complement_adresse,
        clean_text(r.data ->> 'insee_com') as code_insee,
        clean_text(r.data ->> 'insee_dep') as departement,
        clean_text(r.data ->> 'code_postal') as code_postal,
        clean_line(r.data ->> 'lib_com') as commune,
        to_double(r.data ->> 'latitude') as latitude,
        to_double(r.data ->> 'longitude') as longitude,
        clean_text(r.data ->> 'mail') as courriel,
        clean_text(regexp_replace(r.data ->> 'telephone', '[\s.]', '', 'g')) as telephone,
        w.horaires,
        -- Runs of blank lines inside a cell become one line break.
        clean_text(regexp_replace(r.data ->> 'commentaire', '\s*\n\s*', chr(10), 'g')) as commentaire,
        clean_text(r.data ->> 'itinerance') = 'Oui' as itinerant,
        clean_text(r.data ->> 'format_fs') as format,
        clean_text(r.data ->> 'labellisation') as labellisation,
        coalesce(
            try_strptime(regexp_extract(r._file, '(\d{8})', 1), '%Y%m%d')::date,
            try_strptime(regexp_extract(r.data ->> 'labellisation', '(\d{2}/\d{2}/\d{4})', 1), '%d/%m/%Y')::date
        ) as date_maj
    from raw as r
    inner join weeks as w on w._row = r._row
    inner join address as a on a._row = r._row
)

select * from final;


-- Each place is also one service: the same rows, counted for the services table.
create or replace view stg_france_services__services as
select * from stg_france_services__structures;
