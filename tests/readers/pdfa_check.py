#!/usr/bin/env python3
"""pdfa_check.py FILE.pdf -- reads a PDF with pikepdf (qpdf's library), independently of
rendiconta, and prints JSON with what PDF/A-2b asks that a reader can check without veraPDF:

pdfaid part and conformance from the XMP packet; dc:title and the XMP dates beside the Info
dictionary's; the output intents (subtype, ICC components and size); every font with whether its
program is embedded and subset; whether any /Encrypt, /SMask, transparency /Group or /CA, /ca
below 1 appears; the trailer ID; Info keys with empty values.
"""
import json, sys

import pikepdf


def pdf_date_to_xmp(d):
    # D:YYYYMMDDHHmmSSZ -> YYYY-MM-DDTHH:mm:SSZ (the only form we write)
    d = str(d)[2:]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z" if len(d) >= 14 else d


def fonts(pdf):
    seen = {}
    for page in pdf.pages:
        res = page.obj.get("/Resources", {})
        for name, font in dict(res.get("/Font", {})).items():
            base = str(font.get("/BaseFont", ""))
            descendants = font.get("/DescendantFonts")
            desc = descendants[0] if descendants is not None else font
            fd = desc.get("/FontDescriptor", {})
            embedded = any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            size = 0
            for k in ("/FontFile", "/FontFile2", "/FontFile3"):
                if k in fd:
                    size = len(fd[k].read_bytes())
            seen[base] = {
                "embedded": embedded,
                "subset": "+" in base and len(base.split("+")[0].lstrip("/")) == 6,
                "program_bytes": size,
                "cid_to_gid": "stream" if isinstance(desc.get("/CIDToGIDMap"), pikepdf.Stream)
                else str(desc.get("/CIDToGIDMap", "")),
            }
    return seen


def transparency(pdf):
    found = []
    for obj in pdf.objects:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        d = obj if isinstance(obj, pikepdf.Dictionary) else obj.stream_dict
        if "/SMask" in d and str(d["/SMask"]) != "/None":
            found.append("SMask")
        if "/Group" in d and str(d["/Group"].get("/S", "")) == "/Transparency":
            found.append("Group")
        for k in ("/CA", "/ca"):
            if k in d and float(d[k]) < 1:
                found.append(k)
    return found


def main():
    pdf = pikepdf.open(sys.argv[1])
    meta = pdf.open_metadata()
    info = {str(k): str(v) for k, v in pdf.docinfo.items()}
    intents = []
    for oi in pdf.Root.get("/OutputIntents", []):
        profile = oi.get("/DestOutputProfile")
        intents.append({
            "S": str(oi.get("/S")),
            "N": int(profile.get("/N")) if profile is not None else None,
            "icc_bytes": len(profile.read_bytes()) if profile is not None else 0,
        })
    print(json.dumps({
        "version": pdf.pdf_version,
        "part": meta.get("pdfaid:part"),
        "conformance": meta.get("pdfaid:conformance"),
        "xmp_title": meta.get("dc:title"),
        "info_title": info.get("/Title"),
        "xmp_create": meta.get("xmp:CreateDate"),
        "info_create": pdf_date_to_xmp(info.get("/CreationDate", "")),
        "xmp_modify": meta.get("xmp:ModifyDate"),
        "info_modify": pdf_date_to_xmp(info.get("/ModDate", "")),
        "xmp_producer": meta.get("pdf:Producer"),
        "info_producer": info.get("/Producer"),
        "empty_info_keys": sorted(k for k, v in info.items() if v == ""),
        "info_keys": sorted(info),
        "intents": intents,
        "fonts": fonts(pdf),
        "encrypted": pdf.is_encrypted or "/Encrypt" in pdf.trailer,
        "transparency": transparency(pdf),
        "trailer_id": len(pdf.trailer.get("/ID", [])),
    }))


main()
