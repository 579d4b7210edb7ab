-- Soliguide staging: one row per place (`lieu`) and one per service nested in it.
-- Read shapes: the current /new-search answer (position `address`, `postalCode`,
-- `city`, `cityCode`; service `category` slugs; `publics.familiale`), and the
-- older ones of the bundled sample (a database export with `{"$date": …}`
-- timestamps and French position fields; an API record with numeric
-- `categorie` codes and the producer's `familialle` spelling).
-- `_exclusion` names the rule that keeps a record out of the publication.
-- In macro bodies JSON is read with json_extract(): `x -> 'k'` passed as an
-- argument there is taken for an (old-style) lambda.

create or replace temp macro soliguide_date(j) as
    iso_date(coalesce(json_extract_string(j, '$."$date"'), json_extract_string(j, '$')));

create or replace temp macro soliguide_day(d) as
    case when try_cast(json_extract_string(d, '$.open') as boolean)
        and json_type(json_extract(d, '$.timeslot')) = 'ARRAY' then
        list_transform(
            from_json(json_extract(d, '$.timeslot'), '[{"start": "VARCHAR", "end": "VARCHAR"}]'),
            lambda t: [struct_extract(t, 'start'), struct_extract(t, 'end')]
        )
    end;

-- A week of Soliguide hours (`monday` … `sunday`, times as HMM integers) as OSM opening_hours.
create or replace temp macro soliguide_hours(h) as
    case when json_type(h) = 'OBJECT' then
        osm_opening_hours(json_object(
            'Mo', soliguide_day(json_extract(h, '$.monday')), 'Tu', soliguide_day(json_extract(h, '$.tuesday')),
            'We', soliguide_day(json_extract(h, '$.wednesday')), 'Th', soliguide_day(json_extract(h, '$.thursday')),
            'Fr', soliguide_day(json_extract(h, '$.friday')), 'Sa', soliguide_day(json_extract(h, '$.saturday')),
            'Su', soliguide_day(json_extract(h, '$.sunday'))
        )::varchar) || case when json_extract_string(h, '$.closedHolidays') = 'CLOSED' then '; PH off' else '' end
    end;

create or replace temp macro soliguide_publics(p) as struct_pack(
    accueil := lower(clean_text(json_extract_string(p, '$.accueil'))),
    administrative := json_strings(json_extract(p, '$.administrative')),
    familiale := coalesce(json_strings(json_extract(p, '$.familiale')), json_strings(json_extract(p, '$.familialle'))),
    genre := json_strings(json_extract(p, '$.gender')),
    autres := json_strings(json_extract(p, '$.other')),
    description := text_from_html(json_extract_string(p, '$.description')),
    age_min := try_cast(json_extract_string(p, '$.age.min') as integer),
    age_max := try_cast(json_extract_string(p, '$.age.max') as integer)
);

create or replace temp macro soliguide_modalities(m) as struct_pack(
    inconditionnel := try_cast(json_extract_string(m, '$.inconditionnel') as boolean),
    rendez_vous := try_cast(json_extract_string(m, '$.appointment.checked') as boolean),
    rendez_vous_precisions := text_from_html(json_extract_string(m, '$.appointment.precisions')),
    inscription := try_cast(json_extract_string(m, '$.inscription.checked') as boolean),
    inscription_precisions := text_from_html(json_extract_string(m, '$.inscription.precisions')),
    orientation := try_cast(json_extract_string(m, '$.orientation.checked') as boolean),
    orientation_precisions := text_from_html(json_extract_string(m, '$.orientation.precisions')),
    payant := try_cast(json_extract_string(m, '$.price.checked') as boolean),
    prix_precisions := text_from_html(json_extract_string(m, '$.price.precisions')),
    autres := text_from_html(json_extract_string(m, '$.other'))
);

-- A temporary period (closure, hours, message) in force on the reference date.
create or replace temp macro soliguide_in_force(t) as
    coalesce(try_cast(json_extract_string(t, '$.actif') as boolean), false)
    and coalesce(soliguide_date(json_extract(t, '$.dateDebut')) <= reference_date(), true)
    and coalesce(soliguide_date(json_extract(t, '$.dateFin')) >= reference_date(), true);

create or replace temp macro soliguide_closure_note(t, what) as
    case when soliguide_in_force(t) then
        what || ' fermé temporairement'
        || coalesce(' du ' || strftime(soliguide_date(json_extract(t, '$.dateDebut')), '%d/%m/%Y'), '')
        || coalesce(' au ' || strftime(soliguide_date(json_extract(t, '$.dateFin')), '%d/%m/%Y'), '') || '.'
    end;

create or replace table stg_soliguide__structures as
with raw as (
    -- Each place is parsed once into the fields read below (texts as VARCHAR, the rest as
    -- JSON): a `->>` per field would parse the whole place, services included, for each.
    select _row, d, d.position as pos, d.tempInfos as temp
    from (select _row, json_transform(data, '{
            "address": "VARCHAR", "codePostal": "VARCHAR", "country": "VARCHAR", "description": "VARCHAR",
            "entity": "JSON", "lieu_id": "VARCHAR", "location": "JSON", "modalities": "JSON",
            "name": "VARCHAR", "newhours": "JSON", "pays": "VARCHAR", "position": "JSON", "publics": "JSON",
            "seo_url": "VARCHAR", "sources": "JSON", "tempInfos": "JSON", "updatedAt": "JSON",
            "ville": "VARCHAR"
        }') as d from raw_soliguide__lieux)
),

typed as (
    select
        _row,
        clean_text(d.lieu_id) as lieu_id,
        clean_line(d.name) as nom,
        soliguide_date(d.updatedAt) as date_maj,
        text_from_html(d.description) as description,
        clean_text(d.seo_url) as seo_url,
        clean_line(coalesce(pos ->> 'address', pos ->> 'adresse', d.address)) as adresse,
        clean_line(coalesce(pos ->> 'additionalInformation', pos ->> 'complementAdresse')) as complement_adresse,
        clean_text(coalesce(pos ->> 'postalCode', pos ->> 'codePostal', d.codePostal)) as code_postal,
        clean_line(coalesce(pos ->> 'city', pos ->> 'ville', d.ville)) as commune,
        clean_text(pos ->> 'cityCode') as city_code,
        clean_text(coalesce(pos ->> 'departmentCode', pos ->> 'departementCode')) as departement,
        lower(clean_text(coalesce(pos ->> 'country', d.country, pos ->> 'pays', d.pays))) as pays,
        to_double(coalesce(pos -> 'location' ->> '$.coordinates[0]', d.location ->> '$.coordinates[0]')) as longitude,
        to_double(coalesce(pos -> 'location' ->> '$.coordinates[1]', d.location ->> '$.coordinates[1]')) as latitude,
        list_filter(
            list_transform(from_json(d.entity -> 'phones', '[{"phoneNumber": "VARCHAR"}]'),
                lambda p: clean_text(struct_extract(p, 'phoneNumber'))),
            lambda n: n is not null
        )[1] as telephone,
        clean_text(d.entity ->> 'mail') as courriel,
        clean_text(d.entity ->> 'website') as site_web,
        list_transform(from_json(d.sources, '[{"name": "VARCHAR"}]'), lambda s: clean_text(struct_extract(s, 'name'))) as sources,
        soliguide_publics(d.publics) as publics,
        soliguide_modalities(d.modalities) as modalites,
        soliguide_hours(d.newhours) as horaires,
        case when soliguide_in_force(temp -> 'hours') then soliguide_hours(temp -> 'hours' -> 'hours') end
            as horaires_temporaires,
        case when soliguide_in_force(temp -> 'message') then
            'Information temporaire : ' || concat_ws(' – ', clean_text(temp -> 'message' ->> 'name'),
                text_from_html(temp -> 'message' ->> 'description'))
        end as message_temporaire,
        soliguide_closure_note(temp -> 'closure', 'Lieu') as note_fermeture
    from raw
),

final as (
    select
        t.* exclude (adresse, city_code, longitude, latitude),
        -- `address` is often the whole postal address: drop its ", <postcode> <city>" and ", France" tail.
        nullif(trim(regexp_replace(
            regexp_replace(t.adresse, ',\s*France$', ''),
            case when regexp_matches(t.code_postal, '^\d{5}$') then ',\s*' || t.code_postal || '\s+[^,]*$' else '$^' end,
            ''
        )), '') as adresse,
        -- cityCode is an INSEE code only when La Poste pairs it with the postcode
        -- (some exports hold the postcode there).
        case when cp.code_insee is not null then t.city_code end as code_insee,
        case when t.longitude <> 0 and t.latitude <> 0 then t.longitude end as longitude,
        case when t.longitude <> 0 and t.latitude <> 0 then t.latitude end as latitude,
        case
            when list_contains(list_transform(t.sources, lambda s: lower(s)), 'dora') then 'reshared-from-dora'
            when t.pays not in ('fr', 'france') then 'hors-france'
            when t.lieu_id is not null and row_number() over (
                partition by t.lieu_id order by t.date_maj desc nulls last, t._row desc) > 1 then 'doublon'
        end as _exclusion
    from typed as t
    left join (select distinct code_postal, code_insee from ref__codes_postaux) as cp
        on cp.code_postal = t.code_postal and cp.code_insee = t.city_code
)

select * from final;


create or replace table stg_soliguide__services as
with services_all as (
    -- the place's services extracted once (each set-returning call below would parse the place again)
    select _row, json_extract(data, '$.services_all[*]') as services from raw_soliguide__lieux
),

nested as (
    select
        _row as lieu_row,
        generate_subscripts(services, 1) as rang,
        -- each service parsed once into the fields read below
        json_transform(unnest(services), '{
            "categorie": "VARCHAR", "category": "VARCHAR", "close": "JSON", "description": "VARCHAR",
            "differentHours": "VARCHAR", "differentModalities": "VARCHAR", "differentPublics": "VARCHAR",
            "hours": "JSON", "modalities": "JSON", "publics": "JSON", "saturated": "JSON",
            "serviceObjectId": "JSON"
        }') as s
    from services_all
),

typed as (
    select
        row_number() over (order by n.lieu_row, n.rang) as _row,
        n.lieu_row,
        l.lieu_id,
        clean_text(coalesce(n.s.serviceObjectId ->> '$."$oid"', (n.s.serviceObjectId ->> '$'))) as id,
        clean_text(n.s.categorie) as categorie,
        coalesce(clean_text(n.s.category), translate_one(clean_text(n.s.categorie), v.m)) as category,
        text_from_html(n.s.description) as description,
        coalesce(try_cast(n.s.differentHours as boolean), false) as horaires_differents,
        soliguide_hours(n.s.hours) as horaires,
        lower(clean_text(n.s.saturated ->> 'status')) as saturation,
        soliguide_closure_note(n.s.close, 'Service') as note_fermeture,
        coalesce(try_cast(n.s.differentModalities as boolean), false) as modalites_differentes,
        soliguide_modalities(n.s.modalities) as modalites,
        coalesce(try_cast(n.s.differentPublics as boolean), false) as publics_differents,
        soliguide_publics(n.s.publics) as publics,
        l.date_maj as lieu_date_maj,
        l._exclusion as lieu_exclusion
    from nested as n
    join stg_soliguide__structures as l on l._row = n.lieu_row
    cross join vocab_soliguide__legacy_categories as v
),

final as (
    select
        t.* exclude (lieu_date_maj, lieu_exclusion),
        case
            when t.lieu_exclusion is not null then t.lieu_exclusion
            when t.id is not null and row_number() over (
                partition by t.id, t.lieu_exclusion is null
                order by t.lieu_date_maj desc nulls last, t._row desc) > 1 then 'doublon'
            when translate_list([t.category], v.m) is null then 'thematique-non-couverte'
        end as _exclusion
    from typed as t
    cross join vocab_soliguide__thematiques as v
)

select * from final;
