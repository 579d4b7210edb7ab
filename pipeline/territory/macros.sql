-- Territory macros: how commune names, postal codes and INSEE codes are compared.
-- Loaded with the communes reference (pipeline/territory/reference.py).

-- Lower-case ASCII text: accents stripped, ligatures spelled out.
create or replace macro ascii_lower(x) as
    lower(strip_accents(replace(replace(replace(replace(x, 'œ', 'oe'), 'Œ', 'OE'), 'æ', 'ae'), 'Æ', 'AE')));

-- A commune name as free text says it, without what is not the name: a leading
-- postal code ("44470 - Carquefou"), "CEDEX n" and what follows, "BP n", "CS n",
-- an article written after the name ("Havre (Le)"). Most names have none of
-- these (no digit, no parenthesis, no "cedex"): they skip the clean-up.
create or replace macro commune_words(x) as
    list_transform([ascii_lower(x)], lambda l: trim(regexp_replace(
        case
            when not regexp_matches(l, '[0-9(]|cedex') then l
            else regexp_replace(regexp_replace(regexp_replace(regexp_replace(l,
                '^\s*\d{5}\s*[-,]?\s*', ''),
                '\bcedex\b.*$', ''),
                '\b(bp|cs|tsa|b\.p\.)\s*\d+', ' ', 'g'),
                '^(.*?)\s*\((l|le|la|les)\)\s*$', '\2 \1')
        end,
        '[^a-z0-9]+', ' ', 'g')))[1];

-- The comparison key of a commune name: words of the name, "saint(e)" as "st(e)",
-- separators dropped ("ST-DENIS", "Saint Denis" and "saint-denis" share one key).
create or replace macro words_key(words) as
    nullif(replace(regexp_replace(regexp_replace(words, '\bsainte\b', 'ste', 'g'), '\bsaint\b', 'st', 'g'), ' ', ''), '');

create or replace macro commune_key(x) as words_key(commune_words(x));

-- Two spellings of one name, up to case, accents, ligatures and punctuation.
create or replace macro same_name(a, b) as
    a = b or translate(ascii_lower(a), ' -''’.,', '') = translate(ascii_lower(b), ' -''’.,', '');

-- Arrondissement written in a commune's words ("paris 8e", "marseille 13eme",
-- "lyon 3", "paris 08 arrondissement") -> its INSEE code, else NULL.
create or replace macro arrondissement_from_words(words) as
    list_transform(
        [regexp_extract(words,
            '^(paris|lyon|marseille) 0?([1-9]|1[0-9]|20)(er|e|eme|em|ieme)?( arrondissement| arrdt| arr)?$',
            ['city', 'number'])],
        lambda p: case p.city
            when 'paris' then '751' || lpad(p.number, 2, '0')
            when 'lyon' then '6938' || p.number
            when 'marseille' then '132' || lpad(p.number, 2, '0')
        end
    )[1];

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

-- Of codes found with ranks (lower is better), the code found with the best rank
-- when only one code has it, else NULL. `lo` is min({'r': rank, 'c': code}) and `hi`
-- max({'r': -rank, 'c': code}) over the codes found: the smallest and the largest
-- code of the best rank.
create or replace macro unique_best(lo, hi) as case when lo.c = hi.c then lo.c end;

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
