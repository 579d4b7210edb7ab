-- data·inclusion staging: records already in schema v1, from JSON, CSV or the XLSX workbook.
-- Values are typed, not corrected: a wrong value stays as given for the check stage
-- (a text that is no number or date becomes NULL). Lists come as JSON arrays, as a
-- JSON array written in a cell, or as comma-separated text (workbook, Grist).

create or replace temp macro data_inclusion_list(j) as
    split_list(
        case
            when json_type(j) = 'VARCHAR' and starts_with(trim(j ->> '$'), '[') and json_valid(j ->> '$')
                then (j ->> '$')::json
            else j
        end,
        ','
    );

create or replace temp macro data_inclusion_date(x) as
    coalesce(iso_date(x), try_strptime(trim(x), '%d/%m/%Y')::date);

create or replace table stg_data_inclusion__structures as
with raw as (
    select row_number() over (order by origin, _row) as _row, _file, _record_no, data
    from (
        select 1 as origin, _row, _file, _record_no, data from raw_data_inclusion__structures
        union all
        select 2, _row, _file, _record_no, data from raw_data_inclusion__workbooks
        where data ->> '_table' = 'structures'
    )
),

final as (
    select
        _row,
        _file,
        _record_no,
        clean_text(data ->> 'id') as id,
        clean_line(data ->> 'nom') as nom,
        data_inclusion_date(data ->> 'date_maj') as date_maj,
        clean_text(data ->> 'description') as description,
        clean_text(data ->> 'lien_source') as lien_source,
        clean_text(regexp_replace(data ->> 'siret', '\s', '', 'g')) as siret,
        clean_line(data ->> 'commune') as commune,
        clean_text(data ->> 'code_postal') as code_postal,
        clean_text(data ->> 'code_insee') as code_insee,
        clean_line(data ->> 'adresse') as adresse,
        clean_line(data ->> 'complement_adresse') as complement_adresse,
        to_double(data ->> 'longitude') as longitude,
        to_double(data ->> 'latitude') as latitude,
        clean_text(data ->> 'telephone') as telephone,
        clean_text(data ->> 'courriel') as courriel,
        clean_text(data ->> 'site_web') as site_web,
        clean_text(data ->> 'horaires_accueil') as horaires_accueil,
        clean_text(data ->> 'accessibilite_lieu') as accessibilite_lieu,
        data_inclusion_list(data -> 'reseaux_porteurs') as reseaux_porteurs
    from raw
)

select * from final;


create or replace table stg_data_inclusion__services as
with raw as (
    select row_number() over (order by origin, _row) as _row, _file, _record_no, data
    from (
        select 1 as origin, _row, _file, _record_no, data from raw_data_inclusion__services
        union all
        select 2, _row, _file, _record_no, data from raw_data_inclusion__workbooks
        where data ->> '_table' = 'services'
    )
),

final as (
    select
        _row,
        _file,
        _record_no,
        clean_text(data ->> 'id') as id,
        clean_text(data ->> 'structure_id') as structure_id,
        clean_line(data ->> 'nom') as nom,
        clean_text(data ->> 'description') as description,
        clean_text(data ->> 'lien_source') as lien_source,
        data_inclusion_date(data ->> 'date_maj') as date_maj,
        clean_text(data ->> 'type') as type,
        data_inclusion_list(data -> 'thematiques') as thematiques,
        clean_text(data ->> 'frais') as frais,
        clean_text(data ->> 'frais_precisions') as frais_precisions,
        data_inclusion_list(data -> 'publics') as publics,
        clean_text(data ->> 'publics_precisions') as publics_precisions,
        clean_text(data ->> 'conditions_acces') as conditions_acces,
        clean_line(data ->> 'commune') as commune,
        clean_text(data ->> 'code_postal') as code_postal,
        clean_text(data ->> 'code_insee') as code_insee,
        clean_line(data ->> 'adresse') as adresse,
        clean_line(data ->> 'complement_adresse') as complement_adresse,
        to_double(data ->> 'longitude') as longitude,
        to_double(data ->> 'latitude') as latitude,
        clean_text(data ->> 'telephone') as telephone,
        clean_text(data ->> 'courriel') as courriel,
        data_inclusion_list(data -> 'modes_accueil') as modes_accueil,
        data_inclusion_list(data -> 'zone_eligibilite') as zone_eligibilite,
        clean_line(data ->> 'contact_nom_prenom') as contact_nom_prenom,
        clean_text(data ->> 'lien_mobilisation') as lien_mobilisation,
        data_inclusion_list(data -> 'modes_mobilisation') as modes_mobilisation,
        data_inclusion_list(data -> 'mobilisable_par') as mobilisable_par,
        clean_text(data ->> 'mobilisation_precisions') as mobilisation_precisions,
        to_double(data ->> 'volume_horaire_hebdomadaire') as volume_horaire_hebdomadaire,
        case when to_double(data ->> 'nombre_semaines') % 1 = 0 then to_double(data ->> 'nombre_semaines')::bigint end
            as nombre_semaines,
        clean_text(data ->> 'horaires_accueil') as horaires_accueil
    from raw
)

select * from final;
