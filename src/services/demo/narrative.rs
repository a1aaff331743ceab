//! The demo's final report, drawn from what the real "Terre d'Argine Smart" project did: a survey
//! of the staff, the smart-working rules the Giunta adopted, three courses and the webinars, the
//! collaboration platform. Lists are typed as a project manager types them ("- "), and every
//! indicator has the target the project set beside the value it reached.

use rust_decimal::Decimal;

use super::invalid;
use crate::domain::access::Actor;
use crate::domain::narrative::{NewIndicator, NewSection};
use crate::domain::ProjectId;
use crate::services::{narrative, App, ServiceError};

const SECTIONS: &[(&str, &str)] = &[
    (
        "Obiettivi del progetto",
        "Il progetto ha portato il lavoro agile da misura d'emergenza a modalità ordinaria di \
         lavoro nei sei enti dell'Unione delle Terre d'Argine, con regole comuni, strumenti \
         adeguati e competenze diffuse fra dirigenti e dipendenti.",
    ),
    (
        "Analisi e indagine sul personale",
        "Fra settembre e ottobre 2020 è stata condotta un'indagine sul lavoro agile rivolta a tutto \
         il personale: hanno risposto 419 dipendenti su 539 (78%).\n\n\
         Ne sono emersi:\n\
         - le attività remotizzabili per ciascun servizio;\n\
         - le dotazioni informatiche mancanti;\n\
         - il bisogno di formazione sulla gestione per obiettivi e sulla sicurezza informatica.",
    ),
    (
        "Regolamento e accordi individuali",
        "Sulla base dell'indagine è stata predisposta la disciplina comune del lavoro agile, \
         adottata dalle Giunte dei sei enti entro dicembre 2020. Essa stabilisce:\n\
         a) i criteri di accesso e le priorità;\n\
         b) il contenuto dell'accordo individuale e le fasce di contattabilità;\n\
         c) il diritto alla disconnessione;\n\
         d) il monitoraggio dei risultati per obiettivi.",
    ),
    (
        "Formazione",
        "Sono stati svolti tre percorsi formativi di circa 30 ore ciascuno:\n\
         - gestione per obiettivi del lavoro agile, per dirigenti e posizioni organizzative;\n\
         - sicurezza informatica per il lavoro da remoto, per tutti i dipendenti in lavoro agile;\n\
         - strumenti di collaborazione e videoconferenza, per i referenti dei servizi.\n\n\
         A questi si sono aggiunti cicli di webinar aperti a tutto il personale, registrati e \
         resi disponibili nella intranet dell'Unione.",
    ),
    (
        "Adeguamento tecnologico",
        "Sono state attivate le licenze della piattaforma collaborativa in cloud, il servizio VPN \
         con autenticazione a due fattori e le licenze di videoconferenza per tutti gli enti.",
    ),
    (
        "Risultati",
        "Il lavoro agile è oggi ordinario per i servizi che lo consentono. Gli accordi individuali \
         sottoscritti e le ore di formazione erogate superano gli obiettivi del progetto; la \
         piattaforma collaborativa è in uso in tutti gli enti.",
    ),
];

/// Name, target, value reached, unit.
const INDICATORS: &[(&str, &str, &str, &str)] = &[
    (
        "Dipendenti che hanno risposto all'indagine",
        "400",
        "419",
        "persone",
    ),
    ("Percorsi formativi svolti", "3", "3", "percorsi"),
    ("Ore di formazione erogate", "90", "92", "ore"),
    ("Dipendenti formati", "350", "412", "persone"),
    (
        "Accordi individuali di lavoro agile sottoscritti",
        "250",
        "287",
        "accordi",
    ),
    (
        "Enti che hanno adottato la disciplina del lavoro agile",
        "6",
        "6",
        "enti",
    ),
];

pub(super) async fn load(app: &App, who: &Actor, project: ProjectId) -> Result<(), ServiceError> {
    for (title, body) in SECTIONS {
        let new = NewSection {
            title: (*title).into(),
            body: (*body).into(),
            position: None,
        };
        narrative::add_section(app, who, project, new).await?;
    }
    for (name, target, value, unit) in INDICATORS {
        let number = |s: &str| s.parse::<Decimal>().map_err(invalid);
        let new = NewIndicator {
            name: (*name).into(),
            value: number(value)?,
            target: Some(number(target)?),
            unit: Some((*unit).into()),
        };
        narrative::add_indicator(app, who, project, new).await?;
    }
    Ok(())
}
