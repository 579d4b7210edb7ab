-- Cleaning written once, used by every source's SQL.

-- Trimmed text without control characters (NUL, escapes…; tabs and newlines stay) nor bidi
-- overrides (which can make text display other than it reads), NULL when empty.
create or replace macro clean_text(x) as
    nullif(trim(regexp_replace(x, '[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\x{202A}-\x{202E}\x{2066}-\x{2069}]', '', 'g')), '');

-- One-line text (names, addresses): whitespace runs become one space.
create or replace macro clean_line(x) as
    nullif(trim(regexp_replace(
        regexp_replace(x, '[\x00-\x08\x0E-\x1F\x7F\x{202A}-\x{202E}\x{2066}-\x{2069}]', '', 'g'), '\s+', ' ', 'g'
    )), '');

-- Plain text from text that may hold HTML markup or entities.
create or replace macro text_from_html(x) as
    clean_text(case when regexp_matches(x, '[<&]') then html_to_text(x) else x end);

-- A JSON array of strings as a list (NULL stays NULL, a scalar becomes a one-item list).
create or replace macro json_strings(j) as
    case
        when j is null or json_type(j) = 'NULL' then null
        when json_type(j) = 'ARRAY' then from_json(j, '["VARCHAR"]')
        else [j ->> '$']
    end;

-- The `value` of each {label, value} object in a JSON array.
create or replace macro json_values(j) as
    case
        when j is null or json_type(j) <> 'ARRAY' then null
        else list_transform(from_json(j, '[{"value": "VARCHAR"}]'), lambda x: x.value)
    end;

-- Raw vocabulary values -> schema values through a vocabulary map
-- (MAP(VARCHAR, VARCHAR[])): sorted, unique, NULL when nothing maps.
create or replace macro translate_list(lst, m) as
    nullif(
        list_sort(list_distinct(flatten(list_transform(coalesce(lst, []), lambda x: coalesce(m[trim(x)], []))))),
        []::varchar[]
    );

-- Values already valid in a référentiel, kept as they are.
create or replace macro keep_valid(lst, valid) as
    list_filter(coalesce(lst, []), lambda x: list_contains(valid, x));

-- Union of lists, sorted and unique, NULL when empty.
create or replace macro merge_lists(a, b) as
    nullif(list_sort(list_distinct(list_concat(coalesce(a, []), coalesce(b, [])))), []::varchar[]);

-- A date from an ISO date or datetime string (time of day dropped).
create or replace macro iso_date(x) as try_cast(left(trim(x), 10) as date);

-- A number from text, accepting a decimal comma.
create or replace macro to_double(x) as try_cast(replace(trim(x::varchar), ',', '.') as double);

-- The run's reference date, set by the pipeline before any mapping runs.
create or replace macro reference_date() as getvariable('reference_date');

-- Text cut to n characters, ending with an ellipsis when it was longer.
create or replace macro truncate_text(x, n) as
    case when length(x) > n then rtrim(left(x, n - 1)) || '…' else x end;

-- One raw value -> its first schema value through a vocabulary map.
create or replace macro translate_one(x, m) as case when x is null then null else m[trim(x)][1] end;

-- The first value of a list in a priority order (NULL when none is listed).
create or replace macro first_by_priority(lst, priority) as
    priority[list_min(list_filter(list_transform(coalesce(lst, []), lambda x: list_position(priority, x)), lambda p: p is not null))];

-- `tous-publics` stands alone: when present, it replaces every other public.
create or replace macro publics_rule(lst) as
    case when list_contains(lst, 'tous-publics') then ['tous-publics'] else lst end;

-- Unique items of a list, in their first order of appearance.
create or replace macro distinct_in_order(lst) as
    list_filter(lst, lambda x, i: list_position(lst, x) = i);

-- A list from a JSON array, or from one string of items separated by the regex `sep`
-- (`"a|b"`, `"a;b"`, `"a, b"`): items trimmed, empty ones dropped, NULL stays NULL.
create or replace macro split_list(j, sep) as
    case
        when j is null or json_type(j) = 'NULL' then null
        when json_type(j) = 'ARRAY' then
            list_filter(list_transform(from_json(j, '["VARCHAR"]'), lambda x: clean_text(x)), lambda x: x is not null)
        else list_filter(list_transform(string_split_regex(j ->> '$', sep), lambda x: clean_text(x)), lambda x: x is not null)
    end;

-- A CSV cell a spreadsheet will not run as a formula: text starting with =, @, a tab or a
-- carriage return, or with + or - unless it is a phone number (+33 1 23 45 67 89) or a
-- negative number, gets a leading '.
create or replace macro csv_safe(x) as
    case
        when regexp_matches(x, '^[=@\t\r]')
            or (regexp_matches(x, '^[+-]')
                and not regexp_matches(x, '^\+[0-9 ().]+$') and not regexp_matches(x, '^-[0-9]+([.,][0-9]+)?$'))
            then '''' || x
        else x
    end;
