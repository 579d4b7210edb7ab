-- Status of every producer SIRET against SIRENE (`int__sirets`):
-- valide (open), successeur (closed, an open successor is published instead),
-- ferme (closed, no open successor: the structure leaves open data),
-- inconnu (well formed, not in SIRENE: kept), invalide (bad format or key, or
-- a placeholder of zeros: not published).

create or replace table int__sirets as
with needs as (
    select * from int__siret_needs where siret_producteur is not null
),

etablissements as (
    select siret, etat, date_debut from ref__sirene_etablissements
),

-- One successor per predecessor: economic continuity first, then a head-office
-- transfer, then the latest link, then the smallest SIRET.
best_successor as (
    select predecesseur, successeur
    from ref__sirene_successions
    qualify row_number() over (
        partition by predecesseur
        order by continuite_economique = 'true' desc, transfert_siege = 'true' desc, date_lien desc, successeur
    ) = 1
),

walk as (
    with recursive steps(origin, current, depth, path) as (
        select n.siret, n.siret, 0, [n.siret]
        from needs as n
        join etablissements as e on e.siret = n.siret
        where e.etat = 'F'
        union all
        select s.origin, b.successeur, s.depth + 1, list_append(s.path, b.successeur)
        from steps as s
        join best_successor as b on b.predecesseur = s.current
        where s.depth < 10 and not list_contains(s.path, b.successeur)
    )
    select * from steps
),

open_successor as (
    select w.origin, arg_min(w.current, w.depth) as successeur
    from walk as w
    join etablissements as e on e.siret = w.current
    where w.depth > 0 and e.etat = 'A'
    group by w.origin
),

final as (
    select
        n.structure_id,
        n.source,
        n.siret_producteur,
        case
            when n.probleme is not null then 'invalide'
            when e.siret is null then 'inconnu'
            when e.etat = 'A' then 'valide'
            when o.successeur is not null then 'successeur'
            else 'ferme'
        end as statut,
        n.probleme,
        case
            when n.probleme is not null then null
            when e.siret is null or e.etat = 'A' then n.siret
            else o.successeur
        end as siret_publie,
        case when e.etat = 'F' then try_cast(e.date_debut as date) end as date_fermeture
    from needs as n
    left join etablissements as e on e.siret = n.siret
    left join open_successor as o on o.origin = n.siret
)

select * from final order by structure_id;
