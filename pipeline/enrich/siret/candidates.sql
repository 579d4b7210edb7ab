-- SIRET candidates for structures without a usable SIRET (`int__siret_candidates`):
-- open SIRENE établissements of the same commune (or postal code when the
-- commune is unknown) sharing a distinctive name word or the street address,
-- scored on name (établissement enseignes and usual name, unité légale name)
-- and address. The best candidate is assigned only when it is clearly good
-- and clearly ahead of the next one; otherwise the three best are for review.

create or replace table int__siret_candidates as
with params as (
    select
        0.85 as min_score,          -- overall score of an assigned candidate
        0.80 as min_name,           -- its name score
        0.70 as min_address,        -- its address score
        0.08 as min_margin,         -- lead over the second candidate
        200 as max_word_frequency   -- a word shared by more établissements of the commune makes no candidate
),

structures as (
    select
        s.id as structure_id,
        s.source,
        s.nom,
        n.commune,
        n.code_postal,
        enrich_tokens(s.nom, vm.m) as nom_tokens,
        enrich_tokens(s.adresse, vv.m) as adresse_tokens,
        enrich_street_number(s.adresse) as numero
    from int__structures as s
    join int__siret_needs as n on n.structure_id = s.id
    cross join vocab_enrich__mots as vm
    cross join vocab_enrich__voies as vv
    where s.siret is null and s.nom is not null and (n.commune is not null or n.code_postal is not null)
),

etablissements as (
    select
        e.siret,
        enrich_commune(e.code_commune) as commune,
        e.code_postal,
        concat_ws(' / ', e.enseigne1, e.enseigne2, e.enseigne3, e.denomination_usuelle, u.denomination) as nom_sirene,
        concat_ws(' ', e.numero_voie, e.indice_repetition, e.type_voie, e.libelle_voie) as adresse_sirene,
        list_filter(
            [enrich_tokens(e.enseigne1, vm.m), enrich_tokens(e.enseigne2, vm.m), enrich_tokens(e.enseigne3, vm.m),
             enrich_tokens(e.denomination_usuelle, vm.m), enrich_tokens(u.denomination, vm.m),
             enrich_tokens(u.denomination_usuelle, vm.m)],
            lambda l: len(l) > 0
        ) as noms_tokens,
        enrich_tokens(concat_ws(' ', e.numero_voie, e.type_voie, e.libelle_voie), vv.m) as adresse_tokens,
        e.numero_voie as numero
    from ref__sirene_etablissements as e
    left join ref__sirene_unites_legales as u on u.siren = e.siren
    cross join vocab_enrich__mots as vm
    cross join vocab_enrich__voies as vv
    where e.etat = 'A'
),

etablissement_words as (
    select siret, commune, code_postal, unnest(list_distinct(flatten(noms_tokens))) as word from etablissements
),

word_frequency as (
    select commune, word, count(*) as n from etablissement_words group by all
),

structure_words as (
    select structure_id, commune, code_postal, unnest(list_distinct(nom_tokens)) as word from structures
),

pairs as (
    select distinct s.structure_id, w.siret
    from structure_words as s
    join etablissement_words as w
        on w.word = s.word and (w.commune = s.commune or (s.commune is null and w.code_postal = s.code_postal))
    join word_frequency as f on f.commune is not distinct from w.commune and f.word = w.word
    where f.n <= (select max_word_frequency from params)
    union
    select s.structure_id, e.siret
    from structures as s
    join etablissements as e
        on e.numero = s.numero
        and enrich_street(e.adresse_tokens) = enrich_street(s.adresse_tokens)
        and (e.commune = s.commune or (s.commune is null and e.code_postal = s.code_postal))
),

name_scores as (
    select p.structure_id, p.siret, max(enrich_soft_jaccard(s.nom_tokens, n.tokens)) as score_nom
    from pairs as p
    join structures as s using (structure_id)
    join (select siret, unnest(noms_tokens) as tokens from etablissements) as n using (siret)
    group by all
),

scored as (
    select
        p.structure_id,
        s.source,
        p.siret,
        e.nom_sirene,
        e.adresse_sirene,
        round(coalesce(ns.score_nom, 0), 4) as score_nom,
        round(
            case
                when enrich_street(s.adresse_tokens) is null or enrich_street(e.adresse_tokens) is null then 0
                else jaro_winkler_similarity(enrich_street(s.adresse_tokens), enrich_street(e.adresse_tokens))
                    * case
                        when s.numero = e.numero then 1.0
                        when s.numero is null or e.numero is null then 0.8
                        else 0.5
                    end
            end, 4) as score_adresse
    from pairs as p
    join structures as s using (structure_id)
    join etablissements as e using (siret)
    left join name_scores as ns using (structure_id, siret)
),

ranked as (
    select
        *,
        round(0.6 * score_nom + 0.4 * score_adresse, 4) as score,
        row_number() over (partition by structure_id order by 0.6 * score_nom + 0.4 * score_adresse desc, siret) as rang
    from scored
),

with_margin as (
    select
        *,
        score - coalesce(lead(score) over (partition by structure_id order by rang), 0) as avance
    from ranked
),

final as (
    select
        r.structure_id,
        r.source,
        r.rang,
        r.siret,
        r.nom_sirene,
        r.adresse_sirene,
        r.score_nom,
        r.score_adresse,
        r.score,
        case
            when r.rang = 1 and r.score >= p.min_score and r.score_nom >= p.min_name
                and r.score_adresse >= p.min_address and r.avance >= p.min_margin then 'attribue'
            else 'a-verifier'
        end as decision
    from with_margin as r, params as p
    where r.rang <= 3
)

select * from final order by structure_id, rang;
