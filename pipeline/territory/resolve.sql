-- Code INSEE resolution, offline: int__territory_input -> int__territory_codes.
-- Each distinct (code, postal code, commune) is resolved once against the
-- reference; the current commune wins over déléguées, associées and arrondissements.

create or replace table int__territory_codes as
with input as (
    select _rid, hash(code_insee, code_postal, commune) as kid, code_insee, code_postal, commune
    from int__territory_input
),

names as (
    -- "Paris 8e" is looked up as Paris, its arrondissement kept aside
    select
        commune, arr_name,
        case when arr_name is not null then split_part(words, ' ', 1) else words_key(words) end as name_key
    from (
        select commune, words, arrondissement_from_words(words) as arr_name
        from (select commune, commune_words(commune) as words from (select distinct commune from input))
    )
),

tuples as (
    select
        t.*,
        p.communes as cp_codes,
        -- the département part of the postal code, else of the code INSEE (Corsica's 2A/2B as 20)
        coalesce(postal_prefix(t.cp), postal_prefix(replace(replace(t.code_given, '2A', '20'), '2B', '20'))) as prefix
    from (
        select distinct
            i.kid, clean_code_insee(i.code_insee) as code_given, clean_postal_code(i.code_postal, i.commune) as cp,
            n.arr_name, n.name_key
        from input as i
        left join names as n on n.commune = i.commune
    ) as t
    left join ref__postal_codes as p on p.code_postal = t.cp
),

given as (
    -- a postal code written as the code INSEE ("13090" for Aix-en-Provence) is not one
    select t.kid, c.code_commune, c.code_arrondissement
    from tuples as t
    join ref__codes_insee as c on c.code = t.code_given
    where not coalesce(t.code_given = t.cp and not list_contains(coalesce(t.cp_codes, []), c.code_commune), false)
),

-- the best-ranked names of a tuple, in its postal code, its département, anywhere
by_name as (
    select
        t.kid,
        unique_best(min({'r': n.rank, 'c': n.code_commune}) filter (where list_contains(t.cp_codes, n.code_commune)),
                    max({'r': -n.rank, 'c': n.code_commune}) filter (where list_contains(t.cp_codes, n.code_commune)))
            as c_cp_name,
        unique_best(min({'r': n.rank, 'c': n.code_commune}) filter (where n.prefix = t.prefix),
                    max({'r': -n.rank, 'c': n.code_commune}) filter (where n.prefix = t.prefix))
            as c_prefix_name,
        unique_best(min({'r': n.rank, 'c': n.code_commune}), max({'r': -n.rank, 'c': n.code_commune})) as c_name,
        coalesce(bool_or(n.code_commune = g.code_commune), false) as name_agrees
    from tuples as t
    join ref__commune_names as n on n.name_key = t.name_key
    left join given as g on g.kid = t.kid
    group by t.kid
),

choice as (
    select
        t.*,
        c.code_arrondissement as arr_given,
        case
            -- a code INSEE the address does not contradict (a CEDEX address may name the big town nearby)
            when c.code_commune is not null and (
                t.name_key is null
                or n.name_agrees
                or list_contains(coalesce(t.cp_codes, []), c.code_commune)
                or (n.c_cp_name is null and not (t.cp is null and n.c_prefix_name is not null)))
                then struct_pack(code := c.code_commune, how := 'code')
            when n.c_cp_name is not null then struct_pack(code := n.c_cp_name, how := 'commune-code-postal')
            when n.c_prefix_name is not null and t.cp_codes is null
                then struct_pack(code := n.c_prefix_name, how := 'commune-departement')
            when len(t.cp_codes) = 1 then struct_pack(code := t.cp_codes[1], how := 'code-postal')
            when n.c_name is not null and t.cp_codes is null then struct_pack(code := n.c_name, how := 'commune')
        end as picked
    from tuples as t
    left join given as c on c.kid = t.kid
    left join by_name as n on n.kid = t.kid
),

-- what is left: a misspelt or longer name among the communes of its postal code
-- ("BERCK SUR MER" for Berck, "Salles deVillefagnan")
fuzzy as (
    select kid, case when count(distinct code_commune) = 1 then any_value(code_commune) end as c_fuzzy
    from (
        select c.kid, n.code_commune,
            rank() over (partition by c.kid order by jaro_winkler_similarity(c.name_key, n.name_key) desc) as r
        from (select kid, name_key, unnest(cp_codes) as code from choice where picked is null and name_key is not null) as c
        join ref__commune_names as n on n.code_commune = c.code and n.rank <= 3
        where jaro_winkler_similarity(c.name_key, n.name_key) >= 0.88
    )
    where r = 1
    group by kid
),

picked as (
    select
        c.kid, c.code_given, c.cp, c.arr_name, c.arr_given,
        coalesce(c.picked, struct_pack(code := f.c_fuzzy, how := 'commune-approchee')) as picked
    from choice as c
    left join fuzzy as f on f.kid = c.kid
),

final as (
    select
        i._rid,
        c.code_given,
        c.cp,
        c.picked.code as code_insee,
        coalesce(case when c.picked.how = 'code' then c.arr_given end, a.code_arrondissement, pa.code_arrondissement)
            as code_arrondissement,
        case when c.picked.code is not null then c.picked.how end as resolution,
        r.nom as commune,
        r.code_departement,
        r.code_region
    from input as i
    join picked as c on c.kid = i.kid
    left join ref__codes_insee as a on a.code = c.arr_name and a.code_commune = c.picked.code
    left join ref__postal_arrondissements as pa on pa.code_postal = c.cp and pa.code_commune = c.picked.code
    left join ref__codes_insee as r on r.code = c.picked.code
)

select * from final order by _rid;
