#!/usr/bin/env python3
"""xlsx_values.py FILE.xlsx OUTDIR -- reads a workbook twice, independently of rendiconta:

1. openpyxl with data_only=True: the cached values, as previewers and phones show them;
2. LibreOffice headless, forced to recalculate every formula on load (OOXMLRecalcMode=0), exported
   sheet by sheet to CSV with raw values.

3. LibreOffice again, printing the workbook to PDF with each sheet's page setup; its pages'
   text by pdftotext.

Prints JSON {"cached": {sheet: [[cell, ...], ...]}, "recalculated": {sheet: [[...]]},
"formulas": {sheet: n}, "printed": [page text, ...], "autofilter": {sheet: "A1:W58"}}.
"""
import csv, glob, json, os, subprocess, sys

import openpyxl

RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def cell(v):
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return v


def main():
    path, out = sys.argv[1], sys.argv[2]
    formulas = {}
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        formulas[ws.title] = sum(1 for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    cached = {}
    book = openpyxl.load_workbook(path, data_only=True)
    for ws in book.worksheets:
        cached[ws.title] = [[cell(c) for c in row] for row in ws.iter_rows(values_only=True)]

    profile = os.path.join(out, "profile")
    os.makedirs(os.path.join(profile, "user"), exist_ok=True)
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as f:
        f.write(RECALC)
    csv_dir = os.path.join(out, "csv")
    os.makedirs(csv_dir, exist_ok=True)
    subprocess.run(
        ["soffice", "--headless", "--norestore", "-env:UserInstallation=file://" + os.path.abspath(profile),
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", csv_dir, path],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=240)
    recalculated = {}
    stem = os.path.splitext(os.path.basename(path))[0]
    for name in book.sheetnames:
        files = glob.glob(os.path.join(csv_dir, "%s-%s.csv" % (stem, name)))
        if files:
            with open(files[0], encoding="utf-8") as f:
                recalculated[name] = list(csv.reader(f))
    # Printed by LibreOffice (every sheet, in order, with its page setup), read back page by page.
    pdf_dir = os.path.join(out, "pdf")
    os.makedirs(pdf_dir, exist_ok=True)
    subprocess.run(
        ["soffice", "--headless", "--norestore", "-env:UserInstallation=file://" + os.path.abspath(profile),
         "--convert-to", "pdf", "--outdir", pdf_dir, path],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=240)
    text = subprocess.run(["pdftotext", "-layout", os.path.join(pdf_dir, stem + ".pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    printed = [p for p in text.split("\f") if p.strip()]
    autofilter = {ws.title: ws.auto_filter.ref for ws in openpyxl.load_workbook(path).worksheets}
    print(json.dumps({"cached": cached, "recalculated": recalculated, "formulas": formulas,
                      "printed": printed, "autofilter": autofilter}))


if __name__ == "__main__":
    main()
