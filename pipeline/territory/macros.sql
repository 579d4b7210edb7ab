-- Territory macros: how commune names, postal codes and INSEE codes are compared.
-- Loaded with the communes reference (pipeline/territory/reference.py).

-- Lower-case ASCII text: accents stripped, ligatures spelled out.
create or replace macro ascii_lower(x) as
    lower(strip_accents(replace(replace(replace(replace(x, 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE')));

-- A commune name as free text says it, without what is not the name: a leading
-- postal code ("44470 - Carquefou"), "CEDEX n" and what follows, "BP n", "CS n",
-- an article written after the name ("Havre (Le)").
create or replace macro commune_words(x) as
    trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        ascii_lower(x),
        '^\s*\d{5}\s*[-,]?\s*', ''),
        '\bcedex\b.*$', ''),
        '\b(bp|cs|tsa|b\.p\.)\s*\d+', ' ', 'g'),
        '^(.*?)\s*\((l|le|la|les)\)\s*$', '\2 \1'),
        '[^a-z0-9]+', ' ', 'g'));

-- The comparison key of a commune name: words of the name, "saint(e)" as "st(e)",
-- separators dropped ("ST-DENIS", "Saint Denis" and "saint-denis" share one key).
create or replace macro commune_key(x) as
    nullif(replace(regexp_replace(regexp_replace(commune_words(x),
        '\bsainte\b', 'ste', 'g'), '\bsaint\b', 'st', 'g'), ' ', ''), '');

-- Two spellings of one name, up to case, accents, ligatures and punctuation.
create or replace macro same_name(a, b) as
    regexp_replace(ascii_lower(a), '[^a-z0-9]+', '', 'g') = regexp_replace(ascii_lower(b), '[^a-z0-9]+', '', 'g');

-- Arrondissement written in a commune name ("Paris 8e", "MARSEILLE 13ème",
-- "Lyon 3", "Paris 08 arrondissement") -> its INSEE code, else NULL.
create or replace macro arrondissement_parts(x) as
    regexp_extract(commune_words(x),
        '^(paris|lyon|marseille) 0?([1-9]|1[0-9]|20)(er|e|eme|em|ieme)?( arrondissement| arrdt| arr)?$',
        ['city', 'number']);

create or replace macro arrondissement_from_name(x) as
    case arrondissement_parts(x).city
        when 'paris' then '751' || lpad(arrondissement_parts(x).number, 2, '0')
        when 'lyon' then '6938' || arrondissement_parts(x).number
        when 'marseille' then '132' || lpad(arrondissement_parts(x).number, 2, '0')
    end;

-- An INSEE code as written by producers: trimmed, upper-case (2A/2B), a
-- leading zero lost by a spreadsheet put back. NULL when it cannot be a code.
create or replace macro clean_code_insee(x) as
    case
        when regexp_full_match(upper(trim(x)), '\d{4}') then '0' || trim(x)
        when regexp_full_match(upper(trim(x)), '(\d{2}|2A|2B)\d{3}') then upper(trim(x))
    end;

-- A postal code: five digits (spaces removed, a lost leading zero put back),
-- else the one at the start of the commune field ("44470 - CARQUEFOU"), else NULL.
create or replace macro clean_postal_code(cp, commune) as
    case
        when regexp_full_match(replace(trim(cp), ' ', ''), '\d{5}') then replace(trim(cp), ' ', '')
        when regexp_full_match(trim(cp), '\d{4}') then '0' || trim(cp)
        when regexp_matches(trim(cp), '^\d{5}\b') then left(trim(cp), 5)
        when nullif(trim(cp), '') is null and regexp_matches(trim(commune), '^\d{5}\b') then left(trim(commune), 5)
    end;

-- The postal prefix that identifies a département: 3 digits overseas, else 2.
create or replace macro postal_prefix(cp) as
    case when left(cp, 2) in ('97', '98') then left(cp, 3) else left(cp, 2) end;

-- An address as the geocoder reads it best: "BP n", "CS n", "CEDEX n" removed,
-- common street-type abbreviations written out ("12 r de la Paix", "4 PL DU CALVAIRE").
create or replace macro expand_street_types(x) as
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(x,
        '\b(av|ave|avn)\b\.?', 'avenue', 'gi'),
        '\b(bd|bld|blvd|boul)\b\.?', 'boulevard', 'gi'),
        '^(\s*\d+\s*(bis|ter|quater|[a-z])?,?\s+)r\b\.?', '\1rue', 'i'),
        '^(\s*\d+\s*(bis|ter|quater|[a-z])?,?\s+)all\b\.?', '\1allée', 'i'),
        '\bimp\b\.?', 'impasse', 'gi'),
        '\bpl\b\.?', 'place', 'gi'),
        '\b(che|chem)\b\.?', 'chemin', 'gi'),
        '\brte\b\.?', 'route', 'gi'),
        '\bcrs\b\.?', 'cours', 'gi'),
        '\b(fbg|fg)\b\.?', 'faubourg', 'gi');

create or replace macro geocoder_address(x) as
    nullif(trim(regexp_replace(expand_street_types(
        regexp_replace(regexp_replace(x, '\b(B\.?P\.?|CS|TSA)\s*\d+\b', ' ', 'gi'), '\bCEDEX\b(\s*\d+)?', ' ', 'gi')),
        '[\s,]+', ' ', 'g')), '');

-- The address names the town hall or the village centre: a municipality-level
-- geocoder result is then the right answer.
create or replace macro names_town_centre(x) as
    regexp_matches(ascii_lower(coalesce(x, '')), '\b(mairie|hotel de ville|le bourg|bourg|au village|village|place de la mairie)\b');

-- Of codes found with ranks (lower is better), the code found with the best rank,
-- when only one code has it; NULL when none or several do.
create or replace macro unique_best(codes, ranks) as
    case
        when len(list_distinct(list_filter(codes, lambda c, i: ranks[i] = list_min(ranks)))) = 1
            then list_filter(codes, lambda c, i: ranks[i] = list_min(ranks))[1]
    end;

-- A geocoder result we trust: score above 0.75, and more precise than the commune
-- unless the commune is all the address says.
create or replace macro geocode_accepted(score, result_type, adresse, commune) as
    coalesce(score > 0.75 and (
        result_type is distinct from 'municipality'
        or adresse is null
        or names_town_centre(adresse)
        or commune_key(adresse) = commune_key(commune)
    ), false);

-- The commune as the geocoder should read it: without "CEDEX n" and what follows.
create or replace macro geocoder_commune(x) as
    nullif(trim(regexp_replace(regexp_replace(x, '\s*\bcedex\b.*$', '', 'i'), '\s+', ' ', 'g')), '');
