-- Médiation numérique staging: one typed row per place, whichever shape it came in.
-- Current API (`/carto`): nested `adresse` object, JSON arrays, `mediateurs`.
-- Schema v1 CSV: flat, lists in one cell separated by `|` (`courriels`, `frais_a_charge`…).
-- Older v0.x exports (the bundled sample): flat, lists separated by `;`, v0 names
-- (`courriel`, `conditions_acces` for fees, `labels_nationaux`, `publics_accueillis`).

create or replace table stg_mediation_numerique__structures as
with raw as (
    select _row, _file, _record_no, data from raw_mediation_numerique__lieux
),

address as (
    select
        _row,
        json_type(data -> 'adresse') = 'OBJECT' as nested,
        data -> 'adresse' as a
    from raw
),

final as (
    select
        r._row,
        r._file,
        r._record_no,
        clean_text(r.data ->> 'id') as id,
        clean_line(r.data ->> 'nom') as nom,
        clean_line(r.data ->> 'source') as source_lieu,
        iso_date(r.data ->> 'date_maj') as date_maj_brute,
        clean_text(r.data ->> 'pivot') as pivot,
        case
            when a.nested
                then clean_line(concat_ws(' ', a.a ->> 'numero_voie', a.a ->> 'repetition', a.a ->> 'nom_voie'))
            else clean_line(r.data ->> 'adresse')
        end as adresse,
        clean_line(r.data ->> 'complement_adresse') as complement_adresse,
        clean_text(case when a.nested then a.a ->> 'code_postal' else r.data ->> 'code_postal' end) as code_postal,
        clean_text(case when a.nested then a.a ->> 'code_insee' else r.data ->> 'code_insee' end) as code_insee,
        clean_line(case when a.nested then a.a ->> 'commune' else r.data ->> 'commune' end) as commune,
        to_double(r.data ->> 'latitude') as latitude,
        to_double(r.data ->> 'longitude') as longitude,
        clean_text(regexp_replace(r.data ->> 'telephone', '\s', '', 'g')) as telephone,
        coalesce(split_list(r.data -> 'courriels', '[|;,]'), split_list(r.data -> 'courriel', '[|;,]')) as courriels,
        -- v1 separates URLs with `|`, v0 with a comma: keep the first URL.
        clean_text(regexp_replace(split_list(r.data -> 'site_web', '[|;]')[1], ',\s*https?://.*$', '')) as site_web,
        clean_text(r.data ->> 'horaires') as horaires,
        text_from_html(r.data ->> 'presentation_resume') as presentation_resume,
        text_from_html(r.data ->> 'presentation_detail') as presentation_detail,
        clean_text(r.data ->> 'prise_rdv') as prise_rdv,
        clean_text(coalesce(r.data ->> 'fiche_acces_libre', r.data ->> 'accessibilite')) as accessibilite,
        split_list(r.data -> 'services', '[|;]') as services,
        coalesce(split_list(r.data -> 'frais_a_charge', '[|;]'), split_list(r.data -> 'conditions_acces', '[|;]'))
            as frais,
        list_concat(
            coalesce(split_list(r.data -> 'publics_specifiquement_adresses', '[|;]'), []),
            coalesce(split_list(r.data -> 'prise_en_charge_specifique', '[|;]'), []),
            coalesce(split_list(r.data -> 'publics_accueillis', '[|;]'), [])
        ) as publics,
        split_list(r.data -> 'modalites_acces', '[|;]') as modalites_acces,
        split_list(r.data -> 'modalites_accompagnement', '[|;]') as modalites_accompagnement,
        list_concat(
            coalesce(split_list(r.data -> 'dispositif_programmes_nationaux', '[|;]'), []),
            coalesce(split_list(r.data -> 'labels_nationaux', '[|;]'), [])
        ) as dispositifs,
        split_list(r.data -> 'typologie', '[|;]') as typologies,
        case
            when json_type(r.data -> 'mediateurs') = 'ARRAY' then
                from_json(r.data -> 'mediateurs', '[{"prenom": "VARCHAR", "nom": "VARCHAR", "email": "VARCHAR"}]')
        end as mediateurs
    from raw as r
    inner join address as a on a._row = r._row
)

select
    * exclude (date_maj_brute),
    -- 1970-01-01 (1969-12-31 in a western time zone) is Unix time 0: the
    -- producer's placeholder for an unknown date, so it is no date at all.
    case when date_maj_brute not in (date '1970-01-01', date '1969-12-31') then date_maj_brute end as date_maj
from final;


-- Each place is also one service: the same rows, counted for the services table.
create or replace view stg_mediation_numerique__services as
select * from stg_mediation_numerique__structures;
