-- DORA staging: one typed row per raw record, whichever API shape it came in.
-- API v2 (current) uses snake_case names close to the schema (`nom`, `types`,
-- `thematiques`); API v1 (the bundled 2022 sample) uses camelCase names and
-- {label, value} objects (`name`, `kinds`, `subcategories`).

create or replace table stg_dora__structures as
with raw as (
    select _row, data from raw_dora__structures
),

final as (
    select
        _row,
        clean_text(data ->> 'id') as id,
        clean_line(coalesce(data ->> 'nom', data ->> 'name')) as nom,
        iso_date(coalesce(data ->> 'date_maj', data ->> 'modificationDate')) as date_maj,
        text_from_html(coalesce(data ->> 'presentation_detail', clean_text(data ->> 'fullDesc'))) as description_detail,
        text_from_html(coalesce(data ->> 'presentation_resume', data ->> 'shortDesc')) as description_resume,
        clean_text(coalesce(data ->> 'lien_source', data ->> 'linkOnSource')) as lien_source,
        clean_text(regexp_replace(data ->> 'siret', '\s', '', 'g')) as siret,
        clean_line(coalesce(data ->> 'commune', data ->> 'city')) as commune,
        clean_text(coalesce(data ->> 'code_postal', data ->> 'postalCode')) as code_postal,
        clean_text(coalesce(data ->> 'code_insee', data ->> 'cityCode')) as code_insee,
        clean_line(coalesce(data ->> 'adresse', data ->> 'address1')) as adresse,
        clean_line(coalesce(data ->> 'complement_adresse', data ->> 'address2')) as complement_adresse,
        to_double(data ->> 'longitude') as longitude,
        to_double(data ->> 'latitude') as latitude,
        clean_text(coalesce(data ->> 'telephone', data ->> 'phone')) as telephone,
        clean_text(coalesce(data ->> 'courriel', data ->> 'email')) as courriel,
        clean_text(coalesce(data ->> 'site_web', data ->> 'url')) as site_web,
        clean_text(data ->> 'horaires_ouverture') as horaires_ouverture,
        clean_text(data ->> 'accessibilite') as accessibilite,
        coalesce(clean_text(data ->> 'typologie'), clean_text(data -> 'typology' ->> 'value')) as typologie,
        json_strings(data -> 'labels_nationaux') as labels_nationaux
    from raw
)

select * from final;


create or replace table stg_dora__services as
with raw as (
    select _row, data from raw_dora__services
),

final as (
    select
        _row,
        clean_text(data ->> 'id') as id,
        coalesce(
            clean_text(data ->> 'structure_id'),
            regexp_extract(data ->> 'structure', '/structures/([^/]+)/?$', 1)
        ) as structure_id,
        clean_line(coalesce(data ->> 'nom', data ->> 'name')) as nom,
        iso_date(coalesce(data ->> 'date_maj', data ->> 'modificationDate')) as date_maj,
        iso_date(data ->> 'suspensionDate') as date_suspension,
        text_from_html(coalesce(data ->> 'presentation_detail', clean_text(data ->> 'fullDesc'))) as description_detail,
        text_from_html(coalesce(data ->> 'presentation_resume', data ->> 'shortDesc')) as description_resume,
        clean_text(coalesce(data ->> 'lien_source', data ->> 'linkOnSource')) as lien_source,
        coalesce(json_strings(data -> 'types'), json_values(data -> 'kinds')) as types,
        coalesce(json_strings(data -> 'thematiques'), json_values(data -> 'subcategories')) as thematiques,
        coalesce(
            clean_text(data ->> 'frais'),
            lower(data ->> 'hasFee'),
            cast(try_cast(data ->> 'feeCondition' as double) as integer)::varchar
        ) as frais,
        text_from_html(coalesce(data ->> 'frais_autres', data ->> 'feeDetails')) as frais_precisions,
        json_strings(data -> 'publics') as publics,
        json_strings(data -> 'profils') as profils,
        json_strings(data -> 'concernedPublic') as publics_libelles,
        clean_text(data ->> 'publics_precisions') as publics_precisions,
        list_concat(
            coalesce(json_strings(data -> 'pre_requis'), json_strings(data -> 'requirements')),
            coalesce(json_strings(data -> 'justificatifs'), json_strings(data -> 'credentials')),
            json_strings(data -> 'accessConditions')
        ) as conditions,
        clean_line(coalesce(data ->> 'commune', data ->> 'city')) as commune,
        clean_text(coalesce(data ->> 'code_postal', data ->> 'postalCode')) as code_postal,
        clean_text(coalesce(data ->> 'code_insee', data ->> 'cityCode')) as code_insee,
        clean_line(coalesce(data ->> 'adresse', data ->> 'address1')) as adresse,
        clean_line(coalesce(data ->> 'complement_adresse', data ->> 'address2')) as complement_adresse,
        to_double(data ->> 'longitude') as longitude,
        to_double(data ->> 'latitude') as latitude,
        clean_text(data ->> 'telephone') as telephone,
        clean_text(data ->> 'courriel') as courriel,
        clean_line(data ->> 'contact_nom_prenom') as contact_nom_prenom,
        try_cast(data ->> 'contact_public' as boolean) as contact_public,
        coalesce(json_strings(data -> 'modes_accueil'), json_values(data -> 'locationKinds')) as modes_accueil,
        coalesce(
            json_strings(data -> 'modes_orientation_beneficiaire'), json_values(data -> 'beneficiariesAccessModes')
        ) as modes_beneficiaire,
        coalesce(
            json_strings(data -> 'modes_orientation_accompagnateur'), json_values(data -> 'coachOrientationModes')
        ) as modes_accompagnateur,
        clean_text(coalesce(data ->> 'modes_orientation_beneficiaire_autres', data ->> 'beneficiariesAccessModesOther'))
            as modes_beneficiaire_autres,
        clean_text(coalesce(data ->> 'modes_orientation_accompagnateur_autres', data ->> 'coachOrientationModesOther'))
            as modes_accompagnateur_autres,
        coalesce(
            clean_text(data ->> 'prise_rdv'),
            clean_text(data ->> 'formulaire_en_ligne'),
            clean_text(data ->> 'onlineForm'),
            clean_text(data ->> 'remoteUrl')
        ) as lien_mobilisation,
        coalesce(clean_text(data ->> 'zone_diffusion_type'), clean_text(data ->> 'diffusionZoneType')) as zone_type,
        coalesce(clean_text(data ->> 'zone_diffusion_code'), clean_text(data ->> 'diffusionZoneDetails')) as zone_code,
        to_double(data ->> 'temps_passe_duree_hebdomadaire') as volume_horaire_hebdomadaire,
        try_cast(data ->> 'temps_passe_semaines' as integer) as nombre_semaines
    from raw
)

select * from final;
