-- Normalisation shared by the sirétisation and the correspondence tool.

-- Lower case, no accents, only letters and digits separated by one space.
create or replace macro enrich_text(x) as
    nullif(trim(regexp_replace(lower(strip_accents(coalesce(x, ''))), '[^a-z0-9]+', ' ', 'g')), '');

-- A crude plural folding so that "services" and "service" agree.
create or replace macro enrich_fold(t) as
    case when length(t) > 3 and suffix(t, 's') and not suffix(t, 'ss') then left(t, length(t) - 1) else t end;

-- Words of a name or an address through a vocabulary map (MAP(VARCHAR, VARCHAR[])):
-- abbreviations expanded or canonicalised, stop words (empty lists) dropped.
create or replace macro enrich_tokens(x, m) as
    list_transform(
        list_filter(
            flatten(list_transform(string_split(coalesce(enrich_text(x), ''), ' '), lambda t: coalesce(m[t], [t]))),
            lambda t: t <> ''
        ),
        lambda t: enrich_fold(t)
    );

-- How many distinct words of `a` have an equal word in `b`, a small typo apart (Jaro-Winkler >= 0.93) for long words.
create or replace macro enrich_matched_words(a, b) as
    len(list_filter(list_distinct(a), lambda x: list_bool_or(
        list_transform(list_distinct(b), lambda y: x = y or (length(x) > 4 and jaro_winkler_similarity(x, y) >= 0.93))
    )));

-- Jaccard similarity of two word lists, with words a small typo apart counted as equal; NULL when one is empty.
create or replace macro enrich_soft_jaccard(a, b) as
    case
        when a is null or b is null or len(a) = 0 or len(b) = 0 then null
        else enrich_matched_words(a, b)
            / (len(list_distinct(a)) + len(list_distinct(b)) - enrich_matched_words(a, b))
    end;

-- The street number at the start of an address ("12 bis rue …" -> "12").
create or replace macro enrich_street_number(x) as
    nullif(regexp_extract(coalesce(enrich_text(x), ''), '^(\d+)', 1), '');

-- The street words of an address: numbers dropped.
create or replace macro enrich_street(tokens) as
    nullif(array_to_string(list_filter(tokens, lambda t: not regexp_matches(t, '^\d+$')), ' '), '');

-- The registrable domain of a web address or an e-mail ("https://www.ville-x.fr/a" -> "ville-x.fr").
create or replace macro enrich_domain(x) as
    nullif(regexp_extract(lower(trim(coalesce(x, ''))), '^(?:[a-z]+://)?(?:[^@/]*@)?(?:www\d?\.)?([a-z0-9.-]+\.[a-z]{2,})', 1), '');

-- Paris, Lyon and Marseille arrondissements folded into their commune, as SIRENE uses them.
create or replace macro enrich_commune(code) as
    case
        when code between '75101' and '75120' then '75056'
        when code between '69381' and '69389' then '69123'
        when code between '13201' and '13216' then '13055'
        else nullif(trim(code), '')
    end;

-- Jaccard similarity of two word lists (exact words; fast enough for millions of pairs); NULL when one is empty.
create or replace macro enrich_jaccard(a, b) as
    case
        when a is null or b is null or len(a) = 0 or len(b) = 0 then null
        else len(list_intersect(a, b)) / len(list_distinct(list_concat(a, b)))
    end;

-- Great-circle distance in kilometres (haversine), NULL when a coordinate is missing.
create or replace macro enrich_km(lat1, lon1, lat2, lon2) as
    6371.0 * 2 * asin(sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2)
    ));
