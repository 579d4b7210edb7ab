-- Médiation numérique -> schema v1. Each place gives one structure and one service with the
-- same id, `mediation-numerique--<place id>`. Places the map re-shares from a source we collect
-- directly (dora, fredo, soliguide) are excluded, so are repeated ids after the first.

create or replace temp table mediation_numerique_decisions as
with places as (
    select _row, id, lower(source_lieu) in ('dora', 'fredo', 'soliguide') as reshared, lower(source_lieu) as origin
    from stg_mediation_numerique__structures
)

select
    _row,
    'mediation-numerique--' || id as record_id,
    case
        when reshared then 'deja-collecte-via-' || origin
        when row_number() over (partition by id, reshared order by _row) > 1 then 'id-en-double'
    end as rule
from places;


create or replace table map_mediation_numerique__excluded as
select 'mediation-numerique' as source, e.entity, d.record_id, d.rule
from mediation_numerique_decisions as d
cross join (values ('structures'), ('services')) as e (entity)
where d.rule is not null;


create or replace table map_mediation_numerique__structures as
with places as (
    select s.* from stg_mediation_numerique__structures as s
    inner join mediation_numerique_decisions as d on d._row = s._row and d.rule is null
),

vocab as (
    select r.m as m_reseaux, t.m as m_typologies
    from vocab_mediation_numerique__reseaux_porteurs as r, vocab__typologies as t
),

final as (
    select
        'mediation-numerique' as source,
        'mediation-numerique--' || p.id as id,
        truncate_text(p.nom, 150) as nom,
        p.date_maj,
        truncate_text(coalesce(p.presentation_detail, p.presentation_resume), 10000) as description,
        case when regexp_full_match(p.id, '[\w-]+')
            then 'https://cartographie.societenumerique.gouv.fr/cartographie/' || p.id || '/details' end as lien_source,
        case when regexp_full_match(p.pivot, '\d{14}') and p.pivot <> '00000000000000' then p.pivot end as siret,
        p.commune,
        p.code_postal,
        p.code_insee,
        p.adresse,
        p.complement_adresse,
        p.longitude,
        p.latitude,
        p.telephone,
        p.courriels[1] as courriel,
        p.site_web,
        p.horaires as horaires_accueil,
        p.accessibilite as accessibilite_lieu,
        merge_lists(translate_list(p.dispositifs, v.m_reseaux), translate_list(p.typologies, v.m_typologies))
            as reseaux_porteurs
    from places as p, vocab as v
)

select * from final;


create or replace table map_mediation_numerique__services as
with places as (
    select s.* from stg_mediation_numerique__structures as s
    inner join mediation_numerique_decisions as d on d._row = s._row and d.rule is null
),

vocab as (
    select t.m as m_thematiques, f.m as m_frais, p.m as m_publics, o.m as m_modes, ty.m as m_types
    from vocab_mediation_numerique__thematiques as t, vocab_mediation_numerique__frais as f,
        vocab_mediation_numerique__publics as p, vocab_mediation_numerique__modes_mobilisation as o,
        vocab_mediation_numerique__types as ty
),

-- Département of the place: from its code INSEE, else from a postal code within one département.
departements as (
    select p._row, coalesce(c.code_departement, cp.code_departement) as departement
    from places as p
    left join (select code_insee, min(code_departement) as code_departement from ref__communes group by all) as c
        on c.code_insee = p.code_insee
    left join (
        select pc.code_postal, min(c.code_departement) as code_departement
        from (select distinct code_postal, code_insee from ref__codes_postaux) as pc
        inner join ref__communes as c on c.code_insee = pc.code_insee
        group by pc.code_postal
        having count(distinct c.code_departement) = 1
    ) as cp on cp.code_postal = p.code_postal
),

final as (
    select
        'mediation-numerique' as source,
        'mediation-numerique--' || p.id as structure_id,
        'mediation-numerique--' || p.id as id,
        'Service d''accompagnement au numérique' as nom,
        truncate_text(coalesce(
            p.presentation_detail,
            p.presentation_resume,
            'Services proposés : ' || nullif(array_to_string(p.services, ', '), '') || '.'
        ), 10000) as description,
        case when regexp_full_match(p.id, '[\w-]+')
            then 'https://cartographie.societenumerique.gouv.fr/cartographie/' || p.id || '/details' end as lien_source,
        p.date_maj,
        first_by_priority(
            translate_list(p.modalites_accompagnement, v.m_types), ['aide-materielle', 'atelier', 'accompagnement']
        )
            as type,
        translate_list(p.services, v.m_thematiques) as thematiques,
        first_by_priority(translate_list(p.frais, v.m_frais), ['gratuit', 'payant']) as frais,
        case when len(p.frais) > 1 or len(list_filter(p.frais, lambda x: starts_with(x, 'Gratuit sous condition'))) > 0
            then array_to_string(p.frais, ', ') end as frais_precisions,
        publics_rule(coalesce(translate_list(p.publics, v.m_publics), ['tous-publics'])) as publics,
        nullif(array_to_string(p.publics, ', '), '') as publics_precisions,
        null::varchar as conditions_acces,
        p.commune,
        p.code_postal,
        p.code_insee,
        p.adresse,
        p.complement_adresse,
        p.longitude,
        p.latitude,
        p.telephone,
        coalesce(p.courriels[1], clean_text(p.mediateurs[1].email)) as courriel,
        merge_lists(
            ['en-presentiel'], case when list_contains(p.modalites_accompagnement, 'À distance') then ['a-distance'] end
        )
            as modes_accueil,
        case when d.departement is not null then [d.departement] end as zone_eligibilite,
        clean_line(concat_ws(' ', p.mediateurs[1].prenom, p.mediateurs[1].nom)) as contact_nom_prenom,
        p.prise_rdv as lien_mobilisation,
        merge_lists(
            case
                when len(p.modalites_acces) > 0 then translate_list(p.modalites_acces, v.m_modes)
                else merge_lists(
                    case when p.telephone is not null then ['telephoner'] end,
                    case when len(p.courriels) > 0 then ['envoyer-un-courriel'] end
                )
            end,
            case when p.prise_rdv is not null then ['utiliser-lien-mobilisation'] end
        ) as modes_mobilisation,
        ['professionnels', 'usagers'] as mobilisable_par,
        null::varchar as mobilisation_precisions,
        null::double as volume_horaire_hebdomadaire,
        null::bigint as nombre_semaines,
        p.horaires as horaires_accueil
    from places as p
    cross join vocab as v
    left join departements as d on d._row = p._row
)

select * from final;
