"""`manage.py compilemessages`: Django's command, never looking into the virtualenv.

Django's command walks the whole tree for "locale" folders; a virtualenv inside the project
(.venv) holds Django's own catalogues, already compiled, which it must not rewrite.
scripts/setup runs this whenever a .po is newer than its .mo (the .mo files are not in git).
"""

from django.core.management.commands import compilemessages

NOT_OURS = [".*", "node_modules", "staticfiles", "var"]


class Command(compilemessages.Command):
    def handle(self, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *NOT_OURS]
        return super().handle(**options)
