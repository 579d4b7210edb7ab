-- DORA staging: one typed row per raw record, whichever API shape it came in.
-- API v2 (current) uses snake_case names close to the schema (`nom`, `types`,
-- `thematiques`); API v1 (the bundled 2022 sample) uses camelCase names and
-- {label, value} objects (`name`, `kinds`, `subcategories`).

create or replace table stg_dora__structures as
with raw as (
    -- Each document is parsed once into the fields read below (texts as VARCHAR, the
    -- rest as JSON): a `->>` per field would parse the whole document again for each.
    select _row, json_transform(data, '{
        "accessibilite": "VARCHAR", "address1": "VARCHAR", "address2": "VARCHAR", "adresse": "VARCHAR",
        "city": "VARCHAR", "cityCode": "VARCHAR", "code_insee": "VARCHAR", "code_postal": "VARCHAR",
        "commune": "VARCHAR", "complement_adresse": "VARCHAR", "courriel": "VARCHAR",
        "date_maj": "VARCHAR", "email": "VARCHAR", "fullDesc": "VARCHAR", "horaires_ouverture": "VARCHAR",
        "id": "VARCHAR", "labels_nationaux": "JSON", "latitude": "VARCHAR", "lien_source": "VARCHAR",
        "linkOnSource": "VARCHAR", "longitude": "VARCHAR", "modificationDate": "VARCHAR",
        "name": "VARCHAR", "nom": "VARCHAR", "phone": "VARCHAR", "postalCode": "VARCHAR",
        "presentation_detail": "VARCHAR", "presentation_resume": "VARCHAR", "shortDesc": "VARCHAR",
        "siret": "VARCHAR", "site_web": "VARCHAR", "telephone": "VARCHAR", "typologie": "VARCHAR",
        "typology": "JSON", "url": "VARCHAR"
    }') as d
    from raw_dora__structures
),

final as (
    select
        _row,
        clean_text(d.id) as id,
        clean_line(coalesce(d.nom, d.name)) as nom,
        iso_date(coalesce(d.date_maj, d.modificationDate)) as date_maj,
        text_from_html(coalesce(d.presentation_detail, clean_text(d.fullDesc))) as description_detail,
        text_from_html(coalesce(d.presentation_resume, d.shortDesc)) as description_resume,
        clean_text(coalesce(d.lien_source, d.linkOnSource)) as lien_source,
        clean_text(regexp_replace(d.siret, '\s', '', 'g')) as siret,
        clean_line(coalesce(d.commune, d.city)) as commune,
        clean_text(coalesce(d.code_postal, d.postalCode)) as code_postal,
        clean_text(coalesce(d.code_insee, d.cityCode)) as code_insee,
        clean_line(coalesce(d.adresse, d.address1)) as adresse,
        clean_line(coalesce(d.complement_adresse, d.address2)) as complement_adresse,
        to_double(d.longitude) as longitude,
        to_double(d.latitude) as latitude,
        clean_text(coalesce(d.telephone, d.phone)) as telephone,
        clean_text(coalesce(d.courriel, d.email)) as courriel,
        clean_text(coalesce(d.site_web, d.url)) as site_web,
        clean_text(d.horaires_ouverture) as horaires_ouverture,
        clean_text(d.accessibilite) as accessibilite,
        coalesce(clean_text(d.typologie), clean_text(d.typology ->> 'value')) as typologie,
        json_strings(d.labels_nationaux) as labels_nationaux
    from raw
)

select * from final;


create or replace table stg_dora__services as
with raw as (
    -- Each document is parsed once into the fields read below (texts as VARCHAR, the
    -- rest as JSON): a `->>` per field would parse the whole document again for each.
    select _row, json_transform(data, '{
        "accessConditions": "JSON", "address1": "VARCHAR", "address2": "VARCHAR", "adresse": "VARCHAR",
        "beneficiariesAccessModes": "JSON", "beneficiariesAccessModesOther": "VARCHAR", "city": "VARCHAR",
        "cityCode": "VARCHAR", "coachOrientationModes": "JSON", "coachOrientationModesOther": "VARCHAR",
        "code_insee": "VARCHAR", "code_postal": "VARCHAR", "commune": "VARCHAR",
        "complement_adresse": "VARCHAR", "concernedPublic": "JSON", "contact_nom_prenom": "VARCHAR",
        "contact_public": "VARCHAR", "courriel": "VARCHAR", "credentials": "JSON", "date_maj": "VARCHAR",
        "diffusionZoneDetails": "VARCHAR", "diffusionZoneType": "VARCHAR", "feeCondition": "VARCHAR",
        "feeDetails": "VARCHAR", "formulaire_en_ligne": "VARCHAR", "frais": "VARCHAR",
        "frais_autres": "VARCHAR", "fullDesc": "VARCHAR", "hasFee": "VARCHAR", "id": "VARCHAR",
        "justificatifs": "JSON", "kinds": "JSON", "latitude": "VARCHAR", "lien_source": "VARCHAR",
        "linkOnSource": "VARCHAR", "locationKinds": "JSON", "longitude": "VARCHAR",
        "modes_accueil": "JSON", "modes_orientation_accompagnateur": "JSON",
        "modes_orientation_accompagnateur_autres": "VARCHAR", "modes_orientation_beneficiaire": "JSON",
        "modes_orientation_beneficiaire_autres": "VARCHAR", "modificationDate": "VARCHAR",
        "name": "VARCHAR", "nom": "VARCHAR", "onlineForm": "VARCHAR", "postalCode": "VARCHAR",
        "pre_requis": "JSON", "presentation_detail": "VARCHAR", "presentation_resume": "VARCHAR",
        "prise_rdv": "VARCHAR", "profils": "JSON", "publics": "JSON", "publics_precisions": "VARCHAR",
        "remoteUrl": "VARCHAR", "requirements": "JSON", "shortDesc": "VARCHAR", "structure": "VARCHAR",
        "structure_id": "VARCHAR", "subcategories": "JSON", "suspensionDate": "VARCHAR",
        "telephone": "VARCHAR", "temps_passe_duree_hebdomadaire": "VARCHAR",
        "temps_passe_semaines": "VARCHAR", "thematiques": "JSON", "types": "JSON",
        "zone_diffusion_code": "VARCHAR", "zone_diffusion_type": "VARCHAR"
    }') as d
    from raw_dora__services
),

final as (
    select
        _row,
        clean_text(d.id) as id,
        coalesce(
            clean_text(d.structure_id),
            regexp_extract(d.structure, '/structures/([^/]+)/?$', 1)
        ) as structure_id,
        clean_line(coalesce(d.nom, d.name)) as nom,
        iso_date(coalesce(d.date_maj, d.modificationDate)) as date_maj,
        iso_date(d.suspensionDate) as date_suspension,
        text_from_html(coalesce(d.presentation_detail, clean_text(d.fullDesc))) as description_detail,
        text_from_html(coalesce(d.presentation_resume, d.shortDesc)) as description_resume,
        clean_text(coalesce(d.lien_source, d.linkOnSource)) as lien_source,
        coalesce(json_strings(d.types), json_values(d.kinds)) as types,
        coalesce(json_strings(d.thematiques), json_values(d.subcategories)) as thematiques,
        coalesce(
            clean_text(d.frais),
            lower(d.hasFee),
            cast(try_cast(d.feeCondition as double) as integer)::varchar
        ) as frais,
        text_from_html(coalesce(d.frais_autres, d.feeDetails)) as frais_precisions,
        json_strings(d.publics) as publics,
        json_strings(d.profils) as profils,
        json_strings(d.concernedPublic) as publics_libelles,
        clean_text(d.publics_precisions) as publics_precisions,
        list_concat(
            coalesce(json_strings(d.pre_requis), json_strings(d.requirements)),
            coalesce(json_strings(d.justificatifs), json_strings(d.credentials)),
            json_strings(d.accessConditions)
        ) as conditions,
        clean_line(coalesce(d.commune, d.city)) as commune,
        clean_text(coalesce(d.code_postal, d.postalCode)) as code_postal,
        clean_text(coalesce(d.code_insee, d.cityCode)) as code_insee,
        clean_line(coalesce(d.adresse, d.address1)) as adresse,
        clean_line(coalesce(d.complement_adresse, d.address2)) as complement_adresse,
        to_double(d.longitude) as longitude,
        to_double(d.latitude) as latitude,
        clean_text(d.telephone) as telephone,
        clean_text(d.courriel) as courriel,
        clean_line(d.contact_nom_prenom) as contact_nom_prenom,
        try_cast(d.contact_public as boolean) as contact_public,
        coalesce(json_strings(d.modes_accueil), json_values(d.locationKinds)) as modes_accueil,
        coalesce(
            json_strings(d.modes_orientation_beneficiaire), json_values(d.beneficiariesAccessModes)
        ) as modes_beneficiaire,
        coalesce(
            json_strings(d.modes_orientation_accompagnateur), json_values(d.coachOrientationModes)
        ) as modes_accompagnateur,
        clean_text(coalesce(d.modes_orientation_beneficiaire_autres, d.beneficiariesAccessModesOther))
            as modes_beneficiaire_autres,
        clean_text(coalesce(d.modes_orientation_accompagnateur_autres, d.coachOrientationModesOther))
            as modes_accompagnateur_autres,
        coalesce(
            clean_text(d.prise_rdv),
            clean_text(d.formulaire_en_ligne),
            clean_text(d.onlineForm),
            clean_text(d.remoteUrl)
        ) as lien_mobilisation,
        coalesce(clean_text(d.zone_diffusion_type), clean_text(d.diffusionZoneType)) as zone_type,
        coalesce(clean_text(d.zone_diffusion_code), clean_text(d.diffusionZoneDetails)) as zone_code,
        to_double(d.temps_passe_duree_hebdomadaire) as volume_horaire_hebdomadaire,
        try_cast(d.temps_passe_semaines as integer) as nombre_semaines
    from raw
)

select * from final;
