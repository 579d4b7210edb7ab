-- FINESS -> schema v1. Only the categories mapped in vocab/reseaux_porteurs.csv are kept:
-- 156 CMP (réseau cmp), 246 ESAT (esat), 609 MDPH (mdph); every other establishment is
-- excluded with the rule `categorie-hors-perimetre`. Ids are `finess--<n° FINESS
-- établissement>`; a CMP also gives one service, `finess--<n°>--cmp` (consultations).

create or replace temp table finess_decisions as
with establishments as (
    select s._row, s.id, s.categorie, v.m[s.categorie][1] as reseau
    from stg_finess__structures as s, vocab_finess__reseaux_porteurs as v
)

select
    _row,
    'finess--' || id as record_id,
    reseau,
    case
        when reseau is null then 'categorie-hors-perimetre'
        when row_number() over (partition by id, reseau is null order by _row) > 1 then 'id-en-double'
    end as rule
from establishments;


create or replace table map_finess__excluded as
select 'finess' as source, 'structures' as entity, d.record_id, d.rule
from finess_decisions as d
where d.rule is not null
union all
select 'finess', 'services', d.record_id || '--cmp', d.rule
from finess_decisions as d
inner join stg_finess__services as s on s._row = d._row
where d.rule is not null;


create or replace temp table finess_establishments as
with kept as (
    select s.*, d.reseau
    from stg_finess__structures as s
    inner join finess_decisions as d on d._row = s._row and d.rule is null
),

communes as (
    select code_insee, min(nom) as nom, min(code_departement) as code_departement from ref__communes group by all
)

select
    k.*,
    c.code_insee,
    c.code_departement,
    coalesce(c.nom, k.commune_acheminement) as commune,
    -- "900 RTE DE PARIS" -> "900 ROUTE DE PARIS"; without a street, the distribution complement.
    clean_line(concat_ws(' ', k.numero_voie || coalesce(k.complement_numero, ''),
        coalesce(translate_one(k.typvoie, v.m), k.typvoie), k.voie)) as voie_complete
from kept as k
cross join vocab_finess__types_voie as v
left join communes as c on c.code_insee = k.code_insee_calcule;


create or replace table map_finess__structures as
select
    'finess' as source,
    'finess--' || e.id as id,
    truncate_text(coalesce(e.raison_sociale_longue, e.raison_sociale), 150) as nom,
    coalesce(e.date_maj, e.date_extraction) as date_maj,
    case e.reseau
        when 'cmp' then 'Centre médico-psychologique (CMP) : lieu de soins public où une équipe pluridisciplinaire '
            || 'reçoit en consultation, sans frais, toute personne en souffrance psychique. Les CMP pour enfants et '
            || 'adolescents et ceux pour adultes sont distincts ; le nom de la structure indique le public.'
        when 'esat' then 'Établissement et service d''accompagnement par le travail (ESAT) : des personnes en situation '
            || 'de handicap, orientées par la CDAPH, y exercent une activité professionnelle en milieu protégé, avec un '
            || 'soutien médico-social et éducatif.'
        when 'mdph' then 'Maison départementale des personnes handicapées (MDPH) : accueil, information, accompagnement '
            || 'et conseil des personnes en situation de handicap et de leurs proches ; dépôt et suivi des demandes de '
            || 'droits et de prestations.'
    end as description,
    null::varchar as lien_source,
    case when regexp_full_match(e.siret, '\d{14}') then e.siret end as siret,
    e.commune,
    e.code_postal,
    e.code_insee,
    coalesce(e.voie_complete, e.complement_distribution) as adresse,
    nullif(concat_ws(', ', case when e.voie_complete is not null then e.complement_distribution end, e.lieu_dit_bp), '')
        as complement_adresse,
    null::double as longitude,
    null::double as latitude,
    e.telephone,
    null::varchar as courriel,
    null::varchar as site_web,
    null::varchar as horaires_accueil,
    null::varchar as accessibilite_lieu,
    [e.reseau] as reseaux_porteurs
from finess_establishments as e;


create or replace table map_finess__services as
select
    'finess' as source,
    'finess--' || e.id as structure_id,
    'finess--' || e.id || '--cmp' as id,
    'Consultations médico-psychologiques et sociales' as nom,
    'Consultations de psychiatrie, de psychologie et d''accompagnement social pour toute personne en souffrance '
        || 'psychique, avec une équipe de soignants (psychiatres, psychologues, infirmiers, assistants sociaux).'
        as description,
    null::varchar as lien_source,
    coalesce(e.date_maj, e.date_extraction) as date_maj,
    'accompagnement' as type,
    ['famille--soutien-a-la-parentalite-et-a-leducation', 'sante--addictions', 'sante--sante-mentale'] as thematiques,
    'gratuit' as frais,
    'Consultations prises en charge par l''Assurance maladie, sans avance de frais.' as frais_precisions,
    -- A child and adolescent CMP says so in its name.
    case when regexp_matches(upper(coalesce(e.raison_sociale_longue, '') || ' ' || coalesce(e.raison_sociale, '')),
            '\b(ENFANTS?|ADOS?|ADOLESCENTS?|CMPEA|INFANTO[- ]?JUVENILE|PEDOPSY\w*)\b')
        then ['jeunes'] else ['tous-publics'] end as publics,
    null::varchar as publics_precisions,
    null::varchar as conditions_acces,
    e.commune,
    e.code_postal,
    e.code_insee,
    coalesce(e.voie_complete, e.complement_distribution) as adresse,
    nullif(concat_ws(', ', case when e.voie_complete is not null then e.complement_distribution end, e.lieu_dit_bp), '')
        as complement_adresse,
    null::double as longitude,
    null::double as latitude,
    e.telephone,
    null::varchar as courriel,
    ['en-presentiel'] as modes_accueil,
    case when e.code_departement is not null then [e.code_departement] end as zone_eligibilite,
    null::varchar as contact_nom_prenom,
    null::varchar as lien_mobilisation,
    merge_lists(['se-presenter'], case when e.telephone is not null then ['telephoner'] end) as modes_mobilisation,
    ['professionnels', 'usagers'] as mobilisable_par,
    null::varchar as mobilisation_precisions,
    null::double as volume_horaire_hebdomadaire,
    null::bigint as nombre_semaines,
    null::varchar as horaires_accueil
from finess_establishments as e
where e.reseau = 'cmp';
