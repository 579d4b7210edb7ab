-- Les emplois de l'inclusion staging: one typed row per raw record, both streams together.
-- The current endpoint (/api/v1/data-inclusion/) sends `kind` and `description`;
-- the bundled 2022 sample (older API v1) sends `typologie`, `presentation_detail`
-- and `presentation_resume`. Producer placeholders become NULL here: a siret of
-- 14 zeros, a 0 latitude or longitude, a description of 5 characters or fewer.

create or replace table stg_emplois_de_linclusion__structures as
with raw as (
    select 'siae' as stream, _row as _stream_row, data from raw_emplois_de_linclusion__siae
    union all
    select 'orga', _row, data from raw_emplois_de_linclusion__orga
),

typed as (
    select
        row_number() over (order by stream, _stream_row) as _row,
        stream,
        clean_text(data ->> 'id') as id,
        clean_line(data ->> 'nom') as nom,
        iso_date(data ->> 'date_maj') as date_maj,
        coalesce(clean_text(data ->> 'kind'), clean_text(data ->> 'typologie')) as typologie,
        clean_text(regexp_replace(data ->> 'siret', '\s', '', 'g')) as siret,
        replace(
            text_from_html(coalesce(
                clean_text(data ->> 'description'),
                clean_text(data ->> 'presentation_detail'),
                data ->> 'presentation_resume'
            )),
            chr(13),
            ''
        ) as description,
        clean_text(data ->> 'lien_source') as lien_source,
        clean_line(data ->> 'adresse') as adresse,
        clean_line(data ->> 'complement_adresse') as complement_adresse,
        clean_text(data ->> 'code_postal') as code_postal,
        clean_text(data ->> 'code_insee') as code_insee,
        clean_line(data ->> 'commune') as commune,
        to_double(data ->> 'longitude') as longitude,
        to_double(data ->> 'latitude') as latitude,
        clean_text(data ->> 'telephone') as telephone,
        clean_text(data ->> 'courriel') as courriel,
        clean_text(data ->> 'site_web') as site_web
    from raw
),

final as (
    select
        * replace (
            nullif(siret, '00000000000000') as siret,
            case when length(description) > 5 then description end as description,
            case when longitude <> 0 and latitude <> 0 then longitude end as longitude,
            case when longitude <> 0 and latitude <> 0 then latitude end as latitude
        )
    from typed
)

select * from final;
