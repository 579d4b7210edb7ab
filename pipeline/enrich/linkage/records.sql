-- Linkage records of schema-v1 structures: `{output}` from `{input}`.
-- Names and addresses normalised (accents, case, abbreviations, stop words),
-- phones in E.164, SIREN from the SIRET, e-mail and web domains; consumer
-- e-mail domains and impossible coordinates are dropped. `nom_rares` keeps the
-- name's words shared by at most {max_block} structures of its postal code:
-- blocking on them with the postal code finds the copies that blocking on the
-- postal code alone found, with pairs that grow with the volume, not with its
-- square.

create or replace table {output} as
with structures as (
    select * from {input}
),

vocab as (
    select vm.m as m_mots, vv.m as m_voies from vocab_enrich__mots as vm, vocab_enrich__voies as vv
),

normalised as (
    select
        s.id as unique_id,
        s.source,
        enrich_tokens(s.nom, v.m_mots) as nom_tokens,
        enrich_tokens(s.adresse, v.m_voies) as adresse_tokens,
        enrich_street_number(s.adresse) as numero,
        enrich_commune(s.code_insee) as code_insee,
        clean_text(s.code_postal) as code_postal,
        case when s.latitude between -90 and 90 and s.longitude between -180 and 180
            and not (s.latitude = 0 and s.longitude = 0) then s.latitude end as latitude,
        case when s.latitude between -90 and 90 and s.longitude between -180 and 180
            and not (s.latitude = 0 and s.longitude = 0) then s.longitude end as longitude,
        case when siret_problem(regexp_replace(coalesce(s.siret, ''), '[\s.]', '', 'g')) is null
            then nullif(regexp_replace(coalesce(s.siret, ''), '[\s.]', '', 'g'), '') end as siret,
        phone_e164(s.telephone, s.code_postal) as telephone,
        nullif(lower(trim(s.courriel)), '') as courriel,
        enrich_domain(s.courriel) as domaine_courriel,
        enrich_domain(s.site_web) as domaine_web
    from structures as s, vocab as v
    where s.id is not null
),

words as (
    select distinct unique_id, code_postal, word
    from normalised, unnest(nom_tokens) as w(word)
),

rare_words as (
    -- A word shared by more than {max_block} structures of one postal code tells none of them apart.
    select unique_id, list(word order by word) as nom_rares
    from (select unique_id, word, count(*) over (partition by code_postal, word) as sharing from words)
    where sharing <= {max_block}
    group by unique_id
),

final as (
    select
        unique_id,
        source,
        nullif(array_to_string(nom_tokens, ' '), '') as nom,
        nullif(nom_tokens, []) as nom_tokens,
        nullif(rare_words.nom_rares, []) as nom_rares,
        nullif(array_to_string(adresse_tokens, ' '), '') as adresse,
        enrich_street(adresse_tokens) as voie,
        numero,
        code_insee,
        code_postal,
        latitude,
        longitude,
        siret,
        left(siret, 9) as siren,
        telephone,
        courriel,
        case when domaine_courriel not in (
            'gmail.com', 'orange.fr', 'wanadoo.fr', 'free.fr', 'hotmail.fr', 'hotmail.com', 'laposte.net', 'sfr.fr',
            'yahoo.fr', 'yahoo.com', 'outlook.fr', 'outlook.com', 'live.fr', 'nordnet.fr', 'neuf.fr', 'aol.com',
            'icloud.com', 'bbox.fr', 'numericable.fr'
        ) then domaine_courriel end as domaine_courriel,
        case when domaine_web not in ('facebook.com', 'fb.com', 'google.com', 'sites.google.com', 'linkedin.com',
            'instagram.com', 'twitter.com', 'x.com', 'youtube.com', 'wixsite.com', 'pagesjaunes.fr')
            then domaine_web end as domaine_web
    from normalised
    left join rare_words using (unique_id)
)

select * from final order by unique_id;
