"""`manage.py makemessages -l de`, with the project's choices built in (README "Languages").

Django's command, set up so that the plain command is the whole routine:
- only our own code: tests, the flinkey client and sandbox (English by design: the API's
  vocabulary), benchmarks and collected static files are not searched;
- obsolete entries are dropped (no "#~" leftovers to translate by mistake);
- locations name the file only, not the line, so a moved line does not change the catalogue.
tests/test_translations.py runs this command on a copy of the tree and expects no new msgid.
"""

from django.core.management.commands import makemessages

NOT_OURS = [
    "tests", "flinkey", "flinkey_sandbox", "benchmarks", "staticfiles", "var", "node_modules",
    "test-results",
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *NOT_OURS]
        options["no_obsolete"] = True
        if options.get("add_location") is None:
            options["add_location"] = "file"
        return super().handle(*args, **options)
