//! The demo: a project like "Terre d'Argine Smart" (ER Smart Working call, DGR 261/2020) with six
//! partner entities and about sixty fictitious expenses, loaded through the same services as real
//! data, so a newcomer sees real figures, exclusions and a refused duplicate at once.
//! Suppliers, numbers and amounts are invented; the generator is seeded, so every load is the same.

use chrono::{Duration, NaiveDate};

mod commitments;
mod evidence;
mod narrative;

use super::projects::NewProject;
use super::{accounts, calls, expenses, projects, App, ServiceError};
use crate::domain::access::{Actor, Role};
use crate::domain::{
    Amounts, BudgetLine, CallCategory, CallId, CallRules, CategoryCode, Ceiling, Cig, Cup,
    Document, DocumentType, EntityId, ExpenseData, ExpenseId, Money, Nature, NewCall, NewEntity,
    Payment, Pec, ProjectId, Rate, Step, TaxId,
};

/// A tiny deterministic generator (64-bit LCG): the demo must not depend on a random source.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound.max(1)
    }
}

/// A fictitious but well-formed partita IVA: ten digits and their check digit.
fn partita_iva(prefix: u64) -> String {
    let digits = format!("{:010}", prefix % 10_000_000_000);
    for check in 0..10 {
        let candidate = format!("{digits}{check}");
        if crate::domain::PartitaIva::parse(&candidate).is_ok() {
            return candidate;
        }
    }
    digits + "0"
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, ServiceError> {
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| ServiceError::field("demo", "invalid_date", "data della demo non valida"))
}

fn code(raw: &str) -> Result<CategoryCode, ServiceError> {
    CategoryCode::parse(raw)
        .ok_or_else(|| ServiceError::field("demo", "invalid_code", "codice della demo non valido"))
}

fn invalid<E: std::fmt::Debug>(e: E) -> ServiceError {
    ServiceError::field(
        "demo",
        "invalid",
        format!("dato della demo non valido: {e:?}"),
    )
}

const SUPPLIERS: &[(&str, u64, &str)] = &[
    ("Formazione Emilia S.r.l.", 1_234_500_001, "design_training"),
    (
        "Studio Organizzazione & Lavoro Agile",
        2_345_600_002,
        "design_training",
    ),
    ("Aula Virtuale Soc. Coop.", 3_456_700_003, "design_training"),
    ("Consulenze Padane S.r.l.", 4_567_800_004, "design_training"),
    ("Digitale Modenese S.p.A.", 5_678_900_005, "technology"),
    ("Rete & Sistemi S.r.l.", 6_789_000_006, "technology"),
];

const DESIGN_WORK: &[&str] = &[
    "Progettazione del modello di lavoro agile",
    "Formazione dei dirigenti sulla gestione per obiettivi",
    "Percorso formativo per i dipendenti in smart working",
    "Analisi dei processi e mappatura delle attività remotizzabili",
    "Laboratorio sulla sicurezza informatica per il lavoro da remoto",
    "Accompagnamento al cambiamento organizzativo",
];

const TECH_WORK: &[&str] = &[
    "Licenze di videoconferenza per un anno",
    "Servizio VPN e autenticazione a due fattori",
    "Configurazione del desktop remoto",
    "Canone di piattaforma collaborativa in cloud",
];

/// The password of every demo account (printed by `serve --demo`; the demo is not for real data).
pub const DEMO_PASSWORD: &str = "demo-rendiconta";

/// The demo's accounts: email, role on the project (none for the admin), and what they are for.
pub const DEMO_USERS: &[(&str, Option<Role>, &str)] = &[
    ("admin@demo.rendiconta.it", None, "amministratore"),
    (
        "responsabile@demo.rendiconta.it",
        Some(Role::ProjectManager),
        "responsabile di progetto (Unione e Comune di Carpi)",
    ),
    (
        "ragioneria@demo.rendiconta.it",
        Some(Role::FinanceOfficer),
        "servizio finanziario",
    ),
    (
        "revisore@demo.rendiconta.it",
        Some(Role::Viewer),
        "sola lettura",
    ),
];

/// The six partners: name, codice fiscale (the numeric form public bodies have; check digit
/// valid), registered office and PEC. Illustrative: check them before any real use.
const ENTITIES: &[(&str, &str, &str, &str)] = &[
    (
        "Unione delle Terre d'Argine",
        "03069890360",
        "Corso Alberto Pio 91, 41012 Carpi (MO)",
        "protocollo@pec.terredargine.it",
    ),
    (
        "Comune di Carpi",
        "00184280360",
        "Corso Alberto Pio 91, 41012 Carpi (MO)",
        "comune.carpi@pec.comune.carpi.mo.it",
    ),
    (
        "Comune di Soliera",
        "00221720360",
        "Piazza della Repubblica 1, 41019 Soliera (MO)",
        "comune.soliera@cert.comune.soliera.mo.it",
    ),
    (
        "Comune di Novi di Modena",
        "00223000365",
        "Piazza Primo Maggio 26, 41016 Novi di Modena (MO)",
        "comune.novi@cert.comune.novi.mo.it",
    ),
    (
        "Comune di Campogalliano",
        "00308030360",
        "Piazza Vittorio Emanuele II 1, 41011 Campogalliano (MO)",
        "comune.campogalliano@cert.comune.campogalliano.mo.it",
    ),
    (
        "ASP Terre d'Argine",
        "03421740360",
        "Via Trento Trieste 22, 41012 Carpi (MO)",
        "asp@pec.asp.terredargine.it",
    ),
];

/// Loads the demo unless a project exists already; returns the new project's id. The whole load
/// is one unit of work: one that fails part way leaves nothing behind (attachments' bytes aside,
/// which are kept by digest and shared, and are unreferenced until a row names them).
pub async fn load_if_empty(app: &App) -> Result<Option<ProjectId>, ServiceError> {
    if app.store.count_projects().await? > 0 {
        return Ok(None);
    }
    let unit = app.store.unit_of_work().await?;
    let scoped = App {
        store: unit.store(),
        ..app.clone()
    };
    // Counted again inside the unit: two instances starting at once load it once.
    let loaded = match scoped.store.count_projects().await? {
        0 => load(&scoped).await.map(Some),
        _ => Ok(None),
    };
    drop(scoped);
    let project = loaded?;
    unit.commit().await?;
    Ok(project)
}

async fn load(app: &App) -> Result<ProjectId, ServiceError> {
    let demo = Actor::Operator("demo".into());
    let call = create_call(app, &demo).await?;
    let project = create_project(app, &demo, call).await?;
    let entities = add_entities(app, &demo, project).await?;
    narrative::load(app, &demo, project).await?;
    let finance = add_users(app, &demo, project, &entities).await?;
    let created = record_expenses(app, &demo, project, &entities).await?;
    take_through_workflow(app, &demo, &finance, created).await?;
    Ok(project)
}

/// The Region's call of 2020 (DGR n. 261 del 30/03/2020) with its rules and two categories.
async fn create_call(app: &App, app_who: &Actor) -> Result<CallId, ServiceError> {
    let rate = |s: &str| s.parse::<Rate>().map_err(invalid);
    let money = |s: &str| s.parse::<Money>().map_err(invalid);
    let call = calls::create(
        app,
        app_who,
        NewCall {
            name: "Bando per progetti di smart working nelle pubbliche amministrazioni 2020".into(),
            funder: "Regione Emilia-Romagna".into(),
            act: "DGR n. 261 del 30/03/2020".into(),
            rules: CallRules {
                contribution_rate: rate("0.70")?,
                max_contribution: Some(money("105000.00")?),
                eligibility_start: date(2020, 9, 1)?,
                eligibility_end: date(2020, 12, 31)?,
                payment_deadline: Some(date(2021, 1, 31)?),
                reporting_deadline: Some(date(2021, 1, 31)?),
                current_spending_only: true,
                vat_eligible_if_not_recoverable: true,
                min_realisation_share: Some(rate("0.50")?),
                drift_tolerance: Some(rate("0.20")?),
            },
            categories: vec![
                CallCategory {
                    code: code("design_training")?,
                    name: "Progettazione e formazione".into(),
                    ceiling: None,
                },
                CallCategory {
                    code: code("technology")?,
                    name: "Adeguamento tecnologico".into(),
                    ceiling: Some(Ceiling::Share(rate("0.30")?)),
                },
            ],
        },
    )
    .await?;
    Ok(call.id)
}

/// "Terre d'Argine Smart", granted 105.000,00 € on a budget of 150.000,00 €.
async fn create_project(
    app: &App,
    app_who: &Actor,
    call: CallId,
) -> Result<ProjectId, ServiceError> {
    let money = |s: &str| s.parse::<Money>().map_err(invalid);
    let project = projects::create(
        app,
        app_who,
        NewProject {
            call_id: call,
            title: "Terre d'Argine Smart".into(),
            cup: Some(Cup::parse("E91B20000580002").map_err(invalid)?),
            lead_entity: "Unione delle Terre d'Argine".into(),
            granted_contribution: money("105000.00")?,
            start_date: None,
            end_date: None,
            payment_deadline: None,
            reporting_deadline: None,
            budget: vec![
                BudgetLine {
                    category: code("design_training")?,
                    amount: money("105000.00")?,
                },
                BudgetLine {
                    category: code("technology")?,
                    amount: money("45000.00")?,
                },
            ],
            signatory: crate::domain::Signatory {
                name: Some("Mario Rossi".into()),
                role: Some("Presidente".into()),
                place: Some("Carpi".into()),
                tax_code: Some(
                    crate::domain::CodiceFiscale::parse("RSSMRA70A01B819O").map_err(invalid)?,
                ),
            },
            grant_act: Some(crate::domain::GrantAct {
                number: "Determinazione dirigenziale n. 14238".into(),
                date: date(2020, 8, 14)?,
            }),
        },
    )
    .await?;
    Ok(project.id)
}

/// The six partners, with their codici fiscali, offices and PEC.
async fn add_entities(
    app: &App,
    app_who: &Actor,
    project: ProjectId,
) -> Result<Vec<EntityId>, ServiceError> {
    let mut entities = Vec::new();
    for (name, tax_code, address, pec) in ENTITIES {
        let e = projects::add_entity(
            app,
            app_who,
            project,
            NewEntity {
                name: (*name).into(),
                tax_code: Some(TaxId::parse(tax_code).map_err(invalid)?),
                address: Some((*address).into()),
                pec: Some(Pec::parse(pec).map_err(invalid)?),
            },
        )
        .await?;
        entities.push(e.id);
    }
    Ok(entities)
}

/// The demo's expenses (the duplicate attempt refused, as it must be), with evidence for one in
/// four; returns those created.
async fn record_expenses(
    app: &App,
    app_who: &Actor,
    project: ProjectId,
    entities: &[EntityId],
) -> Result<Vec<ExpenseId>, ServiceError> {
    let mut created = Vec::new();
    let mut list = demo_expenses(entities)?;
    commitments::plan(app, app_who, project, entities, &mut list).await?;
    for expense in list {
        match expenses::create(app, app_who, project, expense).await {
            Ok(e) => {
                // Evidence for one expense in four: a demo submission's pack is not empty.
                if created.len() % 4 == 0 {
                    evidence::attach(app, app_who, &e).await?;
                }
                created.push(e.id);
            }
            // The demo's duplicate attempt is refused, as it must be.
            Err(ServiceError::Conflict {
                code: "document_overclaimed",
                message,
                ..
            }) => {
                tracing::info!(%message, "demo: documento duplicato rifiutato");
            }
            Err(other) => return Err(other),
        }
    }
    Ok(created)
}

/// Most expenses verified by the finance office; a few still on their way, one in eleven sent back.
async fn take_through_workflow(
    app: &App,
    app_who: &Actor,
    finance: &Actor,
    created: Vec<ExpenseId>,
) -> Result<(), ServiceError> {
    for (i, id) in created.into_iter().enumerate() {
        if i % 11 == 5 {
            continue;
        }
        expenses::step(app, app_who, id, None, Step::Ready, None).await?;
        match i % 11 {
            8 => {}
            10 => {
                let reason = "manca il mandato di pagamento quietanzato".to_owned();
                expenses::step(app, finance, id, None, Step::Reject, Some(reason)).await?;
            }
            _ => {
                expenses::step(app, finance, id, None, Step::Verify, None).await?;
            }
        }
    }
    Ok(())
}

/// Creates the demo's accounts with their roles; returns the finance officer, who verifies.
async fn add_users(
    app: &App,
    who: &Actor,
    project: ProjectId,
    entities: &[EntityId],
) -> Result<Actor, ServiceError> {
    let mut finance = who.clone();
    for (email, role, _) in DEMO_USERS {
        let user = accounts::add_user(app, who, email, DEMO_PASSWORD, role.is_none()).await?;
        if let Some(role) = role {
            let assigned = if *role == Role::ProjectManager {
                entities.iter().take(2).copied().collect()
            } else {
                Vec::new()
            };
            accounts::set_member(app, who, project, user.id, *role, assigned).await?;
            if *role == Role::FinanceOfficer {
                finance = Actor::of(&user);
            }
        }
    }
    Ok(finance)
}

struct Draft {
    entity: EntityId,
    supplier: usize,
    category: &'static str,
    nature: Nature,
    kind: DocumentType,
    number: String,
    date: NaiveDate,
    description: String,
    net_cents: i64,
    vat_percent: i64,
    paid_after_days: Option<i64>,
}

fn build(d: &Draft) -> Result<ExpenseData, ServiceError> {
    let (name, vat_prefix, _) = SUPPLIERS[d.supplier];
    let net = Money::from_cents(d.net_cents);
    let vat = Money::from_cents((d.net_cents * d.vat_percent + 50) / 100);
    let paid_on = d.paid_after_days.map(|days| d.date + Duration::days(days));
    Ok(ExpenseData {
        entity_id: d.entity,
        category: Some(code(d.category)?),
        nature: d.nature,
        document: Document {
            supplier_name: name.into(),
            supplier_vat: Some(TaxId::parse(&partita_iva(vat_prefix)).map_err(invalid)?),
            kind: d.kind,
            number: d.number.clone(),
            date: d.date,
        },
        description: d.description.clone(),
        amounts: Amounts::new(net, vat, None).map_err(invalid)?,
        vat_recoverable: false,
        cig: Some(
            Cig::parse(&format!("Z{:02}2E4F5A{}", d.supplier, d.supplier % 10)).map_err(invalid)?,
        ),
        cup: Some(Cup::parse("E91B20000580002").map_err(invalid)?),
        payment: Payment {
            commitment_act: Some(format!("Determina n. {} del 07/09/2020", 300 + d.supplier)),
            commitment_id: None,
            liquidation_act: paid_on.map(|p| {
                format!(
                    "Atto di liquidazione n. {} del {}",
                    1200 + d.net_cents % 389,
                    (p - Duration::days(5)).format("%d/%m/%Y")
                )
            }),
            order_number: paid_on.map(|_| format!("{}", 4000 + d.net_cents % 997)),
            order_date: paid_on.map(|p| p - Duration::days(3)),
            paid_on,
        },
        corrects: None,
    })
}

fn demo_expenses(entities: &[EntityId]) -> Result<Vec<ExpenseData>, ServiceError> {
    let mut rng = Lcg(20_200_901);
    let start = date(2020, 9, 1)?;
    let mut drafts = Vec::new();
    for i in 0..56usize {
        let technology = i % 10 >= 7;
        let supplier = if technology { 4 + i % 2 } else { i % 4 };
        let work = if technology {
            TECH_WORK[i % TECH_WORK.len()]
        } else {
            DESIGN_WORK[i % DESIGN_WORK.len()]
        };
        // About 105.000 € of design and training on 39 rows, 45.000 € of technology on 17.
        let base = if technology { 216_000 } else { 220_000 };
        drafts.push(Draft {
            entity: entities[i % entities.len()],
            supplier,
            category: if technology {
                "technology"
            } else {
                "design_training"
            },
            nature: Nature::Current,
            kind: DocumentType::Invoice,
            number: format!("{}/2020", 101 + i),
            date: start + Duration::days(i64::try_from(rng.next(115)).unwrap_or(0)),
            description: format!(
                "{work} – {}",
                ["Unione", "Carpi", "Soliera", "Novi", "Campogalliano", "ASP"][i % 6]
            ),
            net_cents: base + i64::try_from(rng.next(40_000)).unwrap_or(0),
            vat_percent: 22,
            paid_after_days: Some(10 + i64::try_from(rng.next(20)).unwrap_or(0)),
        });
    }
    let extra = [
        // A credit note reducing a training invoice.
        Draft {
            entity: entities[1],
            supplier: 0,
            category: "design_training",
            nature: Nature::Current,
            kind: DocumentType::CreditNote,
            number: "NC 3/2020".into(),
            date: date(2020, 11, 20)?,
            description: "Nota di credito: giornata di formazione non svolta".into(),
            net_cents: 40_000,
            vat_percent: 22,
            paid_after_days: None,
        },
        // Laptops: a capital item, not eligible under a current-spending-only call.
        Draft {
            entity: entities[2],
            supplier: 4,
            category: "technology",
            nature: Nature::Capital,
            kind: DocumentType::Invoice,
            number: "FT 877/2020".into(),
            date: date(2020, 10, 12)?,
            description: "Acquisto di 10 computer portatili".into(),
            net_cents: 720_000,
            vat_percent: 22,
            paid_after_days: Some(20),
        },
        // Dated after the eligibility period.
        Draft {
            entity: entities[3],
            supplier: 2,
            category: "design_training",
            nature: Nature::Current,
            kind: DocumentType::Invoice,
            number: "12/2021".into(),
            date: date(2021, 1, 15)?,
            description: "Sessione di follow-up della formazione".into(),
            net_cents: 50_000,
            vat_percent: 22,
            paid_after_days: Some(5),
        },
        // Not paid yet.
        Draft {
            entity: entities[4],
            supplier: 5,
            category: "technology",
            nature: Nature::Current,
            kind: DocumentType::Invoice,
            number: "FT 1203/2020".into(),
            date: date(2020, 12, 18)?,
            description: "Canone piattaforma collaborativa – dicembre".into(),
            net_cents: 150_000,
            vat_percent: 22,
            paid_after_days: None,
        },
    ];
    drafts.extend(extra);
    let mut list: Vec<ExpenseData> = drafts.iter().map(build).collect::<Result<_, _>>()?;
    // The same invoice recorded twice: the second attempt claims its total again and is refused.
    if let Some(first) = list.first().cloned() {
        list.push(first);
    }
    Ok(list)
}
