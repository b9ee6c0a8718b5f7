"""osTicket's FAQ into our knowledge base (decision 0047).

Categories (`ost_faq_category`: name, description, `ispublic`, and `category_pid` since
1.17) become kb categories, two levels deep as both desks have them; a deeper one hangs
under its top-level ancestor. FAQs (`ost_faq`) become articles through
kb.services.article_import: a published FAQ in a public category is a published article,
a published FAQ in an internal category (ispublic 0) an internal one (agents only), an
unpublished FAQ a draft. The answer's HTML is sanitised with the knowledge base's nh3
allow-list and said in Markdown (importers/osticket/markdown.py). `ost_faq_topic` links
become the article's help topics (suggested to requesters who pick them).

Not carried: an FAQ's keywords and internal notes (our articles have neither; the notes are
for agents and must not become public text), and its attachments (`ost_attachment` type
F): our articles have no files of their own, so each is named in a warning to re-add.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from accounts.models import Department
from accounts.roles import SYSTEM
from importers import services
from importers.models import ImportedObject
from importers.osticket.markdown import html_to_markdown
from importers.osticket.rows import RowError
from kb.models import Article, ArticleState, Category
from kb.services import article_import
from mail.parsing import html_to_text
from tickets.models import HelpTopic

Kind = ImportedObject.Kind
EMPTY_ANSWER = "(This answer was empty in osTicket.)"


class FaqSteps:
    def faq_categories(self) -> None:
        if not self.source.has_table("faq_category"):
            return
        rows = self.source.rows("faq_category", order="category_id")
        by_id = {row["category_id"]: row for row in rows}
        self._faq_public = {}

        def top_of(row) -> int | None:
            """The top-level ancestor of a subcategory (None for a top-level one)."""
            parent, seen = row.get("category_pid"), set()
            while parent and parent in by_id and by_id[parent].get("category_pid"):
                if parent in seen:  # a loop in the source: treat it as top-level
                    return None
                seen.add(parent)
                parent = by_id[parent]["category_pid"]
            return parent if parent in by_id else None

        for row in rows:
            top = top_of(row)
            public = bool(row["ispublic"]) and (top is None or bool(by_id[top]["ispublic"]))
            self._faq_public[row["category_id"]] = public

        def read(row):
            name = " ".join(str(row["name"] or "").split())[:100]
            if not name:
                raise RowError("no name")
            top = top_of(row)
            parent_id = self._target(Kind.FAQ_CATEGORY, top) if top else None
            if top and parent_id is None:
                raise RowError(f"its parent category {top} was not imported")
            return {
                "name": name,
                "description": html_to_text(str(row["description"] or "")).strip()[:255],
                "parent_id": parent_id,
                "position": 0,
            }

        # Parents first, so that a subcategory finds its parent mapped in the same run.
        ordered = sorted(rows, key=lambda row: (top_of(row) is not None, row["category_id"]))
        self._each(
            Kind.FAQ_CATEGORY,
            ordered,
            read,
            lambda existing_id, fields: (
                services.category_import(existing_id=existing_id, **fields).pk
            ),
            note=lambda row: str(row["name"] or ""),
        )

    def faqs(self) -> None:
        if not self.source.has_table("faq"):
            return
        topics, files = self._faq_links()
        public = getattr(self, "_faq_public", {})

        def read(row):
            category_id = self._target(Kind.FAQ_CATEGORY, row["category_id"])
            if category_id is None:
                raise RowError(f"its category {row['category_id']} was not imported")
            department_id = self._default_department()
            if department_id is None:
                raise RowError("no department for the article")
            state = (
                ArticleState.DRAFT
                if not row["ispublished"]
                else (
                    ArticleState.PUBLISHED
                    if public.get(row["category_id"])
                    else ArticleState.INTERNAL
                )
            )
            created = self.source.aware(row["created"]) or self.now
            return {
                "title": " ".join(str(row["question"] or "").split())[:200],
                "body": html_to_markdown(str(row["answer"] or "")) or EMPTY_ANSWER,
                "category_id": category_id,
                "department_id": department_id,
                "state": str(state),
                "topics": sorted(
                    t for t in (self._target(Kind.TOPIC, t) for t in topics[row["faq_id"]]) if t
                ),
                "created_at": created.isoformat(),
                "updated_at": (self.source.aware(row["updated"]) or created).isoformat(),
            }

        def write(existing_id, fields):
            if not fields["title"]:
                raise RowError("no question")
            article = article_import(
                article=Article.objects.filter(pk=existing_id).first() if existing_id else None,
                title=fields["title"],
                body=fields["body"],
                category=Category.objects.get(pk=fields["category_id"]),
                department=Department.objects.get(pk=fields["department_id"]),
                state=fields["state"],
                help_topics=HelpTopic.objects.filter(pk__in=fields["topics"]),
                created_at=_time(fields["created_at"]),
                updated_at=_time(fields["updated_at"]),
                by=SYSTEM,
            )
            return article.pk

        rows = self.source.rows("faq", order="faq_id")
        self._each(Kind.FAQ, rows, read, write, note=lambda row: str(row["question"]))
        for row in rows:
            names = files.get(row["faq_id"])
            if names:
                self.report.add("faq_file", "skipped", len(names))
                self.report.warnings.append(
                    f"FAQ {row['faq_id']}: its attachments are not brought over (articles "
                    f"here have no files; add them to the article by hand): {', '.join(names)}"
                )

    def _faq_links(self) -> tuple[dict[int, set], dict[int, list[str]]]:
        """Each FAQ's help topics (osTicket ids) and its attachments' names."""
        topics = defaultdict(set)
        if self.source.has_table("faq_topic"):
            for row in self.source.rows("faq_topic"):
                topics[row["faq_id"]].add(row["topic_id"])
        files = defaultdict(list)
        for row in self.source.query(
            "SELECT a.object_id, f.name FROM {attachment} a JOIN {file} f ON f.id = a.file_id "
            "WHERE a.type = 'F' ORDER BY a.id"
        ):
            files[row["object_id"]].append(str(row["name"]))
        return topics, files


def _time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)
