-- Les emplois de l'inclusion -> schema v1 structures. Ids are
-- `emplois-de-linclusion--<producer id>`; the typology (`kind`) gives the
-- réseaux porteurs through the shared typologies vocabulary, completed by
-- vocab/reseaux_porteurs.csv for the codes only this producer uses.

create or replace table map_emplois_de_linclusion__excluded as
with structures as (
    select * from stg_emplois_de_linclusion__structures
),

duplicates as (
    select id
    from structures
    where id is not null
    qualify row_number() over (partition by id order by date_maj desc nulls last, _row desc) > 1
),

final as (
    select
        'emplois-de-linclusion' as source,
        'structures' as entity,
        'emplois-de-linclusion--' || id as record_id,
        'doublon' as rule
    from duplicates
)

select * from final;


create or replace table map_emplois_de_linclusion__structures as
with structures as (
    select * from stg_emplois_de_linclusion__structures
    qualify id is null
        or row_number() over (partition by id order by date_maj desc nulls last, _row desc) = 1
),

vocab as (
    select shared.m as m_typologies, own.m as m_reseaux
    from vocab__typologies as shared, vocab_emplois_de_linclusion__reseaux_porteurs as own
),

final as (
    select
        'emplois-de-linclusion' as source,
        'emplois-de-linclusion--' || s.id as id,
        truncate_text(s.nom, 150) as nom,
        s.date_maj,
        truncate_text(s.description, 10000) as description,
        s.lien_source,
        s.siret,
        s.commune,
        s.code_postal,
        s.code_insee,
        s.adresse,
        s.complement_adresse,
        s.longitude,
        s.latitude,
        s.telephone,
        s.courriel,
        s.site_web,
        null::varchar as horaires_accueil,
        null::varchar as accessibilite_lieu,
        merge_lists(
            translate_list([s.typologie], v.m_typologies),
            translate_list([s.typologie], v.m_reseaux)
        ) as reseaux_porteurs
    from structures as s, vocab as v
)

select * from final;
