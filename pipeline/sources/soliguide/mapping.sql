-- Soliguide -> schema v1. A place (`lieu`) is a structure `soliguide--<lieu_id>`;
-- each of its services is a service `soliguide--<serviceObjectId>`, named after
-- its category. A service inherits the place's hours, publics and access
-- modalities unless it declares its own. Records left out by a staging rule
-- (re-shared from DORA, outside France, duplicate, category with no thématique)
-- are listed in map_soliguide__excluded.

create or replace table map_soliguide__excluded as
select 'soliguide' as source, 'structures' as entity, 'soliguide--' || lieu_id as record_id, _exclusion as rule
from stg_soliguide__structures
where _exclusion is not null
union all
select 'soliguide', 'services', 'soliguide--' || id, _exclusion
from stg_soliguide__services
where _exclusion is not null;


create or replace table map_soliguide__structures as
with lieux as (
    select * from stg_soliguide__structures where _exclusion is null
),

vocab as (
    select r.m as m_reseaux from vocab_soliguide__reseaux_porteurs as r
),

final as (
    select
        'soliguide' as source,
        'soliguide--' || l.lieu_id as id,
        truncate_text(l.nom, 150) as nom,
        l.date_maj,
        truncate_text(nullif(concat_ws(chr(10) || chr(10), l.message_temporaire, l.note_fermeture, l.description), ''), 10000)
            as description,
        'https://soliguide.fr/fr/fiche/' || l.seo_url as lien_source,
        null::varchar as siret,
        l.commune,
        l.code_postal,
        l.code_insee,
        l.adresse,
        l.complement_adresse,
        l.longitude,
        l.latitude,
        l.telephone,
        l.courriel,
        l.site_web,
        coalesce(l.horaires_temporaires, l.horaires) as horaires_accueil,
        null::varchar as accessibilite_lieu,
        translate_list(l.sources, v.m_reseaux) as reseaux_porteurs
    from lieux as l, vocab as v
)

select * from final;


create or replace table map_soliguide__services as
with services as (
    select * from stg_soliguide__services where _exclusion is null
),

lieux as (
    select * from stg_soliguide__structures
),

vocab as (
    select c.m as m_noms, t.m as m_thematiques, ty.m as m_types, p.m as m_publics
    from vocab_soliguide__categories as c, vocab_soliguide__thematiques as t,
        vocab_soliguide__types as ty, vocab_soliguide__publics as p
),

-- The département of the place: given by the producer, else from the commune
-- code, else from a postcode that lies in a single département.
departements as (
    select l._row, coalesce(l.departement, c.code_departement, p.code_departement) as departement
    from lieux as l
    -- one row per code: a commune nouvelle shares its code with its chef-lieu déléguée
    left join (select code_insee, min(code_departement) as code_departement from ref__communes group by all) as c
        on c.code_insee = l.code_insee
    left join (
        select cp.code_postal, min(c.code_departement) as code_departement
        from ref__codes_postaux as cp join ref__communes as c using (code_insee)
        group by cp.code_postal
        having count(distinct c.code_departement) = 1
    ) as p on p.code_postal = l.code_postal
),

-- Publics, modalities and hours: the service's own, else the place's.
resolved as (
    select
        s.*,
        case when s.publics_differents then s.publics else l.publics end as p,
        case when s.modalites_differentes then s.modalites else l.modalites end as m,
        case when s.horaires_differents then s.horaires else coalesce(l.horaires_temporaires, l.horaires) end
            as horaires_resolus,
        l.date_maj as lieu_date_maj,
        l.seo_url,
        l.description as lieu_description,
        l.note_fermeture as lieu_fermeture,
        l.commune, l.code_postal, l.code_insee, l.adresse, l.complement_adresse, l.longitude, l.latitude,
        l.telephone, l.courriel,
        d.departement
    from services as s
    join lieux as l on l._row = s.lieu_row
    left join departements as d on d._row = l._row
),

final as (
    select
        'soliguide' as source,
        'soliguide--' || r.lieu_id as structure_id,
        'soliguide--' || r.id as id,
        truncate_text(translate_one(r.category, v.m_noms), 150) as nom,
        truncate_text(nullif(concat_ws(chr(10) || chr(10),
            r.description,
            r.note_fermeture,
            r.lieu_fermeture,
            case when r.saturation = 'high' then 'Attention, la structure est très sollicitée pour ce service.' end,
            r.lieu_description
        ), ''), 10000) as description,
        'https://soliguide.fr/fr/fiche/' || r.seo_url as lien_source,
        r.lieu_date_maj as date_maj,
        translate_one(r.category, v.m_types) as type,
        translate_list([r.category], v.m_thematiques) as thematiques,
        case when r.m.payant then 'payant' else 'gratuit' end as frais,
        r.m.prix_precisions as frais_precisions,
        case
            when r.p.accueil in ('2', 'exclusive') then publics_rule(translate_list(list_concat(
                case when list_has_all(r.p.administrative, ['regular', 'asylum', 'refugee', 'undocumented'])
                    then [] else r.p.administrative end,
                case when list_has_all(r.p.familiale, ['isolated', 'family', 'couple', 'pregnant'])
                    then [] else r.p.familiale end,
                case when list_has_all(r.p.genre, ['men', 'women']) then [] else r.p.genre end,
                r.p.autres
            ), v.m_publics))
            else ['tous-publics']
        end as publics,
        nullif(concat_ws(chr(10),
            r.p.description,
            case
                when r.p.age_min > 0 and r.p.age_max < 99 then 'De ' || r.p.age_min || ' à ' || r.p.age_max || ' ans.'
                when r.p.age_min > 0 then 'À partir de ' || r.p.age_min || ' ans.'
                when r.p.age_max < 99 then 'Jusqu’à ' || r.p.age_max || ' ans.'
            end
        ), '') as publics_precisions,
        r.m.autres as conditions_acces,
        r.commune,
        r.code_postal,
        r.code_insee,
        r.adresse,
        r.complement_adresse,
        r.longitude,
        r.latitude,
        r.telephone,
        r.courriel,
        ['en-presentiel'] as modes_accueil,
        case when r.departement is not null then [r.departement] end as zone_eligibilite,
        null::varchar as contact_nom_prenom,
        null::varchar as lien_mobilisation,
        merge_lists(list_filter([
            case when r.courriel is not null then 'envoyer-un-courriel' end,
            case when r.telephone is not null then 'telephoner' end,
            case when r.m.inconditionnel and not coalesce(r.m.orientation, false) then 'se-presenter' end
        ], lambda x: x is not null), null) as modes_mobilisation,
        case when r.m.orientation then ['professionnels'] else ['professionnels', 'usagers'] end as mobilisable_par,
        nullif(concat_ws(chr(10), r.m.rendez_vous_precisions, r.m.inscription_precisions, r.m.orientation_precisions), '')
            as mobilisation_precisions,
        null::double as volume_horaire_hebdomadaire,
        null::bigint as nombre_semaines,
        r.horaires_resolus as horaires_accueil
    from resolved as r, vocab as v
)

select * from final;
