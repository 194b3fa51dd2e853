"""Importing people from CSV: a preview per line, then all of it or nothing."""

import html as html_module
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from people import csv_import
from people.models import Person

pytestmark = pytest.mark.django_db

URL = "/people/import/"
GOOD = ("flinkey_user_id,name,email,department\n"
        "301,Anna Weber,anna@example.com,Fahrdienst\n"
        "302,Jörg Müller,,Disposition\n"
        "\n")


def upload(client, content: bytes, filename="people.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(filename, content, "text/csv")})


def confirm(client, html: str):
    text = re.search(r'<textarea name="text" hidden aria-hidden="true">(.*?)</textarea>', html,
                     re.S)[1]
    return client.post(URL, {"confirm": "1", "text": html_module.unescape(text)})


def test_a_good_file_previews_then_imports(admin_client):
    Person.objects.create(api_url="x", customer_id=1, flinkey_user_id=301, name="Elsewhere")
    response = upload(admin_client, GOOD.encode())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-line-2" class="import-create"' in html
    assert 'id="import-line-3" class="import-create"' in html
    assert not Person.objects.filter(name="Anna Weber").exists()  # a preview keeps nothing
    response = confirm(admin_client, html)
    assert response.status_code == 302
    mine = Person.objects.exclude(api_url="x")
    assert sorted(mine.values_list("flinkey_user_id", "name", "department")) == [
        (301, "Anna Weber", "Fahrdienst"), (302, "Jörg Müller", "Disposition")]
    assert Person.objects.get(api_url="x").name == "Elsewhere"  # another fleet's: untouched
    assert AuditEntry.objects.filter(action="person.create").count() == 2
    assert AuditEntry.objects.get(action="person.import").changes == {
        "created": 2, "updated": 0, "unchanged": 0}

    # The same ids again: updates, shown with the name they replace.
    again = upload(admin_client, "flinkey_user_id,name\n301,Anna Schmidt\n302,Jörg Müller\n"
                   .encode())
    html = again.content.decode()
    assert 'class="import-update"' in html and "will change (now: Anna Weber)" in html
    assert 'id="import-line-3" class="import-unchanged"' in html
    assert confirm(admin_client, html).status_code == 302
    assert mine.get(flinkey_user_id=301).name == "Anna Schmidt"
    assert mine.get(flinkey_user_id=301).department == "Fahrdienst"  # column left out: kept
    assert AuditEntry.objects.get(action="person.update").changes["name"] == {
        "before": "Anna Weber", "after": "Anna Schmidt"}


def test_bom_and_semicolons(admin_client):
    content = ("\ufeffflinkey_user_id;name;email;department\r\n"
               "301;Weber, Anna;;Fahrdienst\r\n").encode()
    html = upload(admin_client, content).content.decode()
    assert 'class="import-create"' in html
    confirm(admin_client, html)
    assert Person.objects.get().name == "Weber, Anna"


def test_a_bad_line_rejects_the_file_and_says_which(admin_client):
    content = (b"flinkey_user_id,name,email,department\n"
               b"301,Anna Weber,,\n"
               b"abc,Bob,,\n"
               b"303,,no-address,\n"
               b"301,Anna again,,\n")
    response = upload(admin_client, content)
    html = response.content.decode()
    assert response.status_code == 422
    assert "3 lines cannot be imported, so nothing will be imported" in html
    assert "Line 3:" in html and "“abc” is not a flinkey user id" in html
    assert "Line 4:" in html and "the name is empty" in html and "is not an e-mail address" in html
    assert "Line 5:" in html and "user id 301 is already on line 2" in html
    assert 'id="import-confirm"' not in html
    # Sent anyway (a hand-made request): refused, nothing kept.
    response = admin_client.post(URL, {"confirm": "1", "text": content.decode()})
    assert response.status_code == 409
    assert not Person.objects.exists() and not AuditEntry.objects.filter(
        action__startswith="person.").exists()


@pytest.mark.parametrize(("content", "words"), [
    (b"flinkey_user_id,name\n301,J\xf6rg\n", "Line 2 is not UTF-8 text"),
    (b"id,name\n301,Anna\n", "Line 1 must name the columns"),
    (b"flinkey_user_id,name,email,department\n", "has no people"),
    (b"", "The submitted file is empty"),
])
def test_files_that_cannot_be_read_are_refused_in_words(admin_client, content, words):
    response = upload(admin_client, content)
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Person.objects.exists()


def test_the_plan_reads_what_the_header_names():
    plan = csv_import.plan("name;flinkey_user_id\nAnna;301\n", {})
    [line] = plan.lines
    assert line.values == {"flinkey_user_id": 301, "name": "Anna", "email": "",
                           "department": ""}
    assert line.action == csv_import.CREATE and plan.acceptable
