//! The columns each CSV import recognises: for every field, the headers Italian spreadsheets and
//! accounting exports use for it (compared folded: case, accents, spaces and punctuation ignored).

/// The fields a column can fill, with the headers recognised for each (compared folded: case,
/// accents, spaces and punctuation ignored).
pub const FIELDS: &[(&str, &[&str])] = &[
    (
        "entity_id",
        &["ente", "ente partner", "ente pagatore", "entity_id"],
    ),
    ("category", &["categoria", "voce di spesa", "category"]),
    ("nature", &["natura", "natura della spesa", "nature"]),
    (
        "supplier_name",
        &[
            "fornitore",
            "ragione sociale",
            "beneficiario",
            "supplier_name",
        ],
    ),
    (
        "supplier_vat",
        &[
            "partita iva",
            "p.iva",
            "piva",
            "partita iva fornitore",
            "codice fiscale",
            "supplier_vat",
        ],
    ),
    (
        "document_type",
        &["tipo documento", "tipo", "document_type"],
    ),
    (
        "document_number",
        &[
            "numero documento",
            "numero fattura",
            "n. fattura",
            "n. documento",
            "numero",
            "document_number",
        ],
    ),
    (
        "document_date",
        &["data documento", "data fattura", "data", "document_date"],
    ),
    ("description", &["descrizione", "oggetto", "description"]),
    (
        "net_amount",
        &["imponibile", "importo netto", "netto", "net_amount"],
    ),
    ("vat_amount", &["iva", "importo iva", "vat_amount"]),
    (
        "claimed_amount",
        &[
            "importo rendicontato",
            "importo richiesto",
            "claimed_amount",
        ],
    ),
    (
        "vat_recoverable",
        &["iva recuperabile", "iva detraibile", "vat_recoverable"],
    ),
    ("cig", &["cig"]),
    ("cup", &["cup"]),
    (
        "commitment_act",
        &[
            "atto di impegno",
            "impegno",
            "determina di impegno",
            "commitment_act",
        ],
    ),
    (
        "liquidation_act",
        &["atto di liquidazione", "liquidazione", "liquidation_act"],
    ),
    (
        "payment_order_number",
        &[
            "mandato",
            "numero mandato",
            "n. mandato",
            "payment_order_number",
        ],
    ),
    (
        "payment_order_date",
        &["data mandato", "payment_order_date"],
    ),
    (
        "payment_date",
        &["data pagamento", "data quietanza", "payment_date"],
    ),
];

/// The columns of an accounting system's payments export (for reconciliation).
pub const PAYMENT_FIELDS: &[(&str, &[&str])] = &[
    (
        "payment_order_number",
        &[
            "numero mandato",
            "mandato",
            "n. mandato",
            "ordinativo",
            "numero ordinativo",
            "payment_order_number",
        ],
    ),
    (
        "payment_order_date",
        &[
            "data mandato",
            "data ordinativo",
            "data emissione",
            "payment_order_date",
        ],
    ),
    (
        "supplier_vat",
        &[
            "partita iva",
            "p.iva",
            "piva",
            "partita iva fornitore",
            "codice fiscale",
            "cf/piva",
            "supplier_vat",
        ],
    ),
    (
        "document_number",
        &[
            "numero fattura",
            "n. fattura",
            "fattura",
            "numero documento",
            "documento",
            "document_number",
        ],
    ),
    (
        "amount",
        &["importo", "importo pagato", "importo mandato", "amount"],
    ),
    (
        "payment_date",
        &[
            "data pagamento",
            "data quietanza",
            "data esecuzione",
            "payment_date",
        ],
    ),
    (
        "supplier_name",
        &[
            "fornitore",
            "beneficiario",
            "ragione sociale",
            "supplier_name",
        ],
    ),
];

/// The columns of an accounting system's export of commitments (impegni).
pub const COMMITMENT_FIELDS: &[(&str, &[&str])] = &[
    ("entity_id", &["ente", "ente partner", "entity_id"]),
    ("category", &["categoria", "voce di spesa", "category"]),
    ("nature", &["natura", "natura della spesa", "nature"]),
    (
        "supplier_name",
        &["fornitore", "creditore", "beneficiario", "supplier_name"],
    ),
    (
        "supplier_vat",
        &[
            "partita iva",
            "p.iva",
            "piva",
            "codice fiscale",
            "supplier_vat",
        ],
    ),
    (
        "act",
        &[
            "atto",
            "atto di impegno",
            "determina",
            "provvedimento",
            "act",
        ],
    ),
    (
        "act_date",
        &["data atto", "data determina", "data impegno", "act_date"],
    ),
    ("cig", &["cig"]),
    (
        "amount",
        &[
            "importo",
            "importo impegnato",
            "impegnato",
            "importo impegno",
            "amount",
        ],
    ),
    (
        "expected_invoice_date",
        &[
            "fattura prevista",
            "data fattura prevista",
            "expected_invoice_date",
        ],
    ),
    (
        "expected_payment_date",
        &[
            "pagamento previsto",
            "data pagamento prevista",
            "expected_payment_date",
        ],
    ),
];
