-- Code INSEE resolution, offline: int__territory_input -> int__territory_codes.
-- Each distinct (code, postal code, commune name) is resolved once against the
-- reference; the current commune wins over déléguées, associées and arrondissements.

create or replace table int__territory_codes as
with cleaned as (
    select
        _rid,
        clean_code_insee(code_insee) as code_given,
        clean_postal_code(code_postal, commune) as cp,
        arrondissement_from_name(commune) as arr_name,
        commune_key(commune) as raw_key
    from int__territory_input
),

input as (
    -- "Paris 8e" is looked up as Paris, its arrondissement kept aside
    select
        _rid, code_given, cp, arr_name,
        case left(arr_name, 3) when '751' then 'paris' when '693' then 'lyon' when '132' then 'marseille'
            else raw_key end as name_key
    from cleaned
),

tuples as (
    select row_number() over (order by code_given, cp, name_key, arr_name) as kid, *
    from (select distinct code_given, cp, arr_name, name_key from input)
),

cp_hits as (
    select t.kid, p.code_commune, p.code_arrondissement
    from tuples as t join ref__postal as p on p.code_postal = t.cp
),

name_hits as (
    select t.kid, n.code_commune, n.rank, n.prefix = postal_prefix(t.cp) as in_prefix,
        exists (select 1 from cp_hits as h where h.kid = t.kid and h.code_commune = n.code_commune) as in_cp
    from tuples as t join ref__commune_names as n on n.name_key = t.name_key
),

-- the best-ranked names of a tuple, in its postal code, its département, anywhere
by_name as (
    select
        kid,
        unique_best(list(code_commune order by code_commune) filter (where in_cp), list(rank order by code_commune) filter (where in_cp)) as c_cp_name,
        unique_best(list(code_commune order by code_commune) filter (where in_prefix), list(rank order by code_commune) filter (where in_prefix)) as c_prefix_name,
        unique_best(list(code_commune order by code_commune), list(rank order by code_commune)) as c_name,
        list(distinct code_commune) as name_codes
    from name_hits
    group by kid
),

by_cp as (
    select kid, case when count(distinct code_commune) = 1 then any_value(code_commune) end as c_cp,
        list(distinct code_commune) as cp_codes
    from cp_hits
    group by kid
),

-- a misspelt or longer name among the communes of its postal code ("BERCK SUR MER" for Berck)
fuzzy as (
    select kid, case when count(distinct code_commune) = 1 then any_value(code_commune) end as c_fuzzy
    from (
        select t.kid, n.code_commune,
            rank() over (partition by t.kid order by jaro_winkler_similarity(t.name_key, n.name_key) desc) as r
        from tuples as t
        join cp_hits as h on h.kid = t.kid
        join ref__commune_names as n on n.code_commune = h.code_commune and n.rank <= 3
        where t.name_key is not null and jaro_winkler_similarity(t.name_key, n.name_key) >= 0.88
    )
    where r = 1
    group by kid
),

given as (
    -- a postal code written as the code INSEE ("13090" for Aix-en-Provence) is not one
    select t.kid, c.code_commune, c.code_arrondissement
    from tuples as t
    join ref__codes_insee as c on c.code = t.code_given
    left join by_cp as p on p.kid = t.kid
    where not coalesce(t.code_given = t.cp and not list_contains(coalesce(p.cp_codes, []), c.code_commune), false)
),

choice as (
    select
        t.*,
        c.code_commune as c_code,
        c.code_arrondissement as arr_given,
        case
            when c.code_commune is not null and (
                (t.name_key is null and t.cp is null)
                or list_contains(coalesce(n.name_codes, []), c.code_commune)
                or list_contains(coalesce(p.cp_codes, []), c.code_commune)
                or coalesce(n.c_cp_name, n.c_prefix_name) is null)
                then struct_pack(code := c.code_commune, how := 'code')
            when coalesce(n.c_cp_name, n.c_prefix_name) is not null
                then struct_pack(code := coalesce(n.c_cp_name, n.c_prefix_name), how := 'commune-code-postal')
            when t.name_key is null and p.c_cp is not null then struct_pack(code := p.c_cp, how := 'code-postal')
            when n.c_name is not null then struct_pack(code := n.c_name, how := 'commune')
            when p.c_cp is not null then struct_pack(code := p.c_cp, how := 'code-postal')
            when f.c_fuzzy is not null then struct_pack(code := f.c_fuzzy, how := 'commune-approchee')
        end as picked
    from tuples as t
    left join given as c on c.kid = t.kid
    left join by_name as n on n.kid = t.kid
    left join by_cp as p on p.kid = t.kid
    left join fuzzy as f on f.kid = t.kid
),

arrondissements as (
    select
        c.kid,
        coalesce(
            case when c.picked.how = 'code' then c.arr_given end,
            a.code_arrondissement,
            (select case when count(distinct h.code_arrondissement) = 1 then any_value(h.code_arrondissement) end
             from cp_hits as h where h.kid = c.kid and h.code_commune = c.picked.code and h.code_arrondissement is not null)
        ) as code_arrondissement
    from choice as c
    left join ref__codes_insee as a on a.code = c.arr_name and a.code_commune = c.picked.code
),

final as (
    select
        i._rid,
        c.code_given,
        c.cp,
        c.picked.code as code_insee,
        a.code_arrondissement,
        c.picked.how as resolution,
        r.nom as commune,
        r.code_departement,
        r.code_region
    from input as i
    join choice as c
        on c.code_given is not distinct from i.code_given
        and c.cp is not distinct from i.cp
        and c.arr_name is not distinct from i.arr_name
        and c.name_key is not distinct from i.name_key
    left join arrondissements as a on a.kid = c.kid
    left join ref__codes_insee as r on r.code = c.picked.code
)

select * from final order by _rid;
