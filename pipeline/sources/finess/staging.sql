-- FINESS staging: one typed row per `structureet` line of the établissements stock.
-- The code INSEE is the département code followed by the 3-digit commune code;
-- overseas départements are coded 9A…9F (INSEE 97x) and the other overseas
-- territories 9G onwards (INSEE 98x), so their prefix is 97 or 98.

create or replace table stg_finess__structures as
with raw as (
    select _row, data from raw_finess__etablissements
),

final as (
    select
        _row,
        clean_text(data ->> 'nofinesset') as id,
        clean_text(data ->> 'nofinessej') as finess_juridique,
        clean_line(data ->> 'rs') as raison_sociale,
        clean_line(data ->> 'rslongue') as raison_sociale_longue,
        clean_line(data ->> 'complrs') as complement_raison_sociale,
        clean_line(data ->> 'compldistrib') as complement_distribution,
        clean_text(data ->> 'numvoie') as numero_voie,
        clean_text(data ->> 'typvoie') as typvoie,
        clean_line(data ->> 'voie') as voie,
        clean_text(data ->> 'compvoie') as complement_numero,
        clean_line(data ->> 'lieuditbp') as lieu_dit_bp,
        clean_text(data ->> 'departement') as departement,
        case
            when regexp_full_match(data ->> 'departement', '\d\d|2[AB]') then data ->> 'departement'
            when regexp_full_match(data ->> 'departement', '9[A-F]') then '97'
            when regexp_full_match(data ->> 'departement', '9[G-Z]') then '98'
        end || clean_text(data ->> 'commune') as code_insee_calcule,
        regexp_extract(data ->> 'ligneacheminement', '^\s*(\d{5})', 1) as code_postal,
        clean_line(regexp_replace(
            regexp_replace(data ->> 'ligneacheminement', '^\s*\d{5}', ''), '\s+CEDEX.*$', '', 'i'
        ))
            as commune_acheminement,
        clean_text(data ->> 'telephone') as telephone,
        clean_text(data ->> 'categetab') as categorie,
        clean_line(data ->> 'libcategetab') as libelle_categorie,
        clean_text(data ->> 'siret') as siret,
        iso_date(data ->> 'datemaj') as date_maj,
        iso_date(data ->> 'date_extraction') as date_extraction,
        to_double(data ->> 'coordxet') as coord_x,
        to_double(data ->> 'coordyet') as coord_y,
        clean_text(data ->> 'sourcecoordet') as source_coordonnees
    from raw
)

select * from final;


-- Only CMP establishments describe a service (consultations); the others are structures only.
create or replace view stg_finess__services as
select * from stg_finess__structures where categorie = '156';
