-- France Travail staging: one typed row per agency of the Référentiel des agences.
-- Addresses come as postal lines (`ligne3` building, `ligne4` street, `ligne5`
-- extra line, `ligne6` "postcode COMMUNE") plus the INSEE code of the commune
-- and the postcode; opening hours stay as received (JSON), turned into OSM by
-- the mapping.

create or replace table stg_france_travail__structures as
with raw as (
    select _row, data, data -> 'adressePrincipale' as adresse from raw_france_travail__agences
),

final as (
    select
        _row,
        clean_text(data ->> 'code') as code,
        coalesce(clean_line(data ->> 'libelleEtendu'), clean_line(data ->> 'libelle')) as nom,
        clean_text(data ->> 'type') as type_agence,
        clean_text(regexp_replace(data ->> 'siret', '\s', '', 'g')) as siret,
        try_cast(data ->> 'dispositifADEDA' as boolean) as dispositif_adeda,
        clean_line(adresse ->> 'ligne3') as ligne3,
        clean_line(adresse ->> 'ligne4') as ligne4,
        clean_line(adresse ->> 'ligne5') as ligne5,
        clean_line(adresse ->> 'ligne6') as ligne6,
        clean_text(adresse ->> 'communeImplantation') as code_insee,
        clean_text(adresse ->> 'bureauDistributeur') as code_postal,
        to_double(adresse ->> 'gpsLon') as longitude,
        to_double(adresse ->> 'gpsLat') as latitude,
        case when json_type(data -> 'horaires') = 'ARRAY' then data -> 'horaires' end as horaires
    from raw
)

select * from final;
