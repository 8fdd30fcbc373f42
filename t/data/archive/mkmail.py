#!/usr/bin/env python3
# t/data/archive/mkmail.py: writes the messages of t/37-archive.sh, each
# with one archive attachment, into this directory.  Run by hand when they
# must change; the output is committed, so that the test needs no Python.
#
#	cd t/data/archive && python3 mkmail.py
import base64
import gzip
import io
import tarfile
import zipfile


def zipped(files):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(zipfile.ZipInfo(name, (2026, 11, 27, 10, 0, 0)),
                       data, zipfile.ZIP_DEFLATED)
    return b.getvalue()


def tgz(files):
    b, tb = io.BytesIO(), io.BytesIO()
    with tarfile.open(fileobj=tb, mode="w") as t:
        for name, data in files:
            i = tarfile.TarInfo(name)
            i.size = len(data)
            i.mtime = 1795000000
            t.addfile(i, io.BytesIO(data))
    raw = tb.getvalue()
    # gzip with a fixed time, so that the output does not change.
    with gzip.GzipFile(fileobj=b, mode="wb", mtime=0) as g:
        g.write(raw)
    return b.getvalue()


def mail(path, subject, filename, ctype, data):
    b64 = base64.encodebytes(data).decode()
    with open(path, "w", newline="\n") as f:
        f.write("From: a@example.org\n"
                "To: b@example.net\n"
                "Subject: %s\n"
                "Date: Fri, 27 Nov 2026 10:00:00 +0000\n"
                "Message-ID: <%s@example.org>\n"
                "MIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"b1\"\n"
                "\n"
                "--b1\n"
                "Content-Type: text/plain\n"
                "\n"
                "See the attachment.\n"
                "--b1\n"
                "Content-Type: %s; name=\"%s\"\n"
                "Content-Disposition: attachment; filename=\"%s\"\n"
                "Content-Transfer-Encoding: base64\n"
                "\n"
                "%s"
                "--b1--\n" % (subject, path, ctype, filename, filename, b64))


MZ = b"MZ\x90\x00 not really a program"
PDF = b"%PDF-1.4 not really a document"
ZIP = "application/zip"

mail("exe-in-zip.eml", "Invoice", "invoice.zip", ZIP,
     zipped([("invoice.pdf.exe", MZ)]))
mail("nested.eml", "Documents", "docs.zip", ZIP,
     zipped([("readme.txt", b"hello"),
             ("outer.zip", zipped([("inner.zip",
                                    zipped([("x.exe", MZ)]))]))]))
mail("clean.eml", "Report", "report.zip", ZIP,
     zipped([("report.pdf", PDF), ("data/figures.txt", b"1 2 3")]))
mail("tgz.eml", "Setup", "setup.tar.gz", "application/gzip",
     tgz([("setup/setup.exe", MZ)]))
mail("garbage.eml", "Broken", "broken.zip", ZIP,
     b"PK\x03\x04" + b"\x14\x00" + bytes(range(256)) * 4)
mail("bomb.eml", "Bomb", "bomb.zip", ZIP,
     zipped([("zeros.bin", bytes(16 * 1024 * 1024))]))
mail("deep.eml", "Deep", "a.zip", ZIP,
     zipped([("b.zip", zipped([("c.zip", zipped([("d.zip",
         zipped([("e.txt", b"deep")]))]))]))]))

# 7z and an encrypted zip: Python writes neither; these bytes were made
# with libarchive's writer (as t/37-views makes its archives) and are
# t/fuzz/corpus/archive/7z and zip-encrypted, "d\u00e9j\u00e0/secret.exe" in each.
for eml, fuzzname, name, ctype in (
        ("7z.eml", "7z", "files.7z", "application/x-7z-compressed"),
        ("encrypted.eml", "zip-encrypted", "secret.zip", ZIP)):
    with open("../../fuzz/corpus/archive/" + fuzzname, "rb") as f:
        mail(eml, "Files", name, ctype, f.read())
