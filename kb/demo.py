"""The demo's knowledge base: The Office's three problems, answered before a ticket is needed.

Articles are written through kb.services by Ryan Howard, IT's knowledge base editor, and
linked to the demo's help topics, so that typing "monitor flickering" into the new-ticket
form offers the monitor article. Idempotent like the rest of the demo: an article whose
slug exists is left alone. Called by helpdesk's load_demo after tickets.demo.
"""

from collections import Counter

from accounts.models import Agent, Department, User
from accounts.services import agent_set_kb_editor
from kb.models import Article, ArticleState, Category
from kb.services import article_create
from tickets.models import HelpTopic

CATEGORIES = [
    # slug, name, parent slug, description
    ("software", "Software and business applications", None, "The CRM and other programs."),
    ("hardware", "Computers and hardware", None, "Desktops, laptops, monitors, printers."),
    ("monitors", "Monitors", "hardware", "Screens that flicker, stay black or look wrong."),
]

ARTICLES = [
    {
        "slug": "the-crm-is-down",
        "title": "The CRM is down",
        "category": "software",
        "topic": "Business applications (CRM)",
        "body": """If the CRM does not load or logs you out, check these before opening a ticket:

1. **Is it only you?** Ask a colleague to open the CRM. If it works for them, sign out and
   in again, then clear your browser's cache.
2. **Is the internet working?** Open any other website. If nothing loads, it is the
   network: tell IT.
3. **Is there maintenance?** The CRM vendor announces maintenance windows on its status
   page; the CRM is unavailable during them.

If the CRM is down for everyone and no maintenance is announced, submit a ticket under
*Business applications (CRM)*: we treat it as critical, because Sales cannot work without it.
""",
    },
    {
        "slug": "my-computer-wont-start",
        "title": "My computer won't start",
        "category": "hardware",
        "topic": "Computer or hardware problem",
        "body": """Most computers that "won't boot" have lost their power:

- Check that the **power strip** under your desk is plugged into the wall and switched on
  (it is easy to kick it out by accident).
- Check that the power cable is pushed fully into the back of the computer.
- Hold the power button for ten seconds, let go, then press it once.

If the computer starts but Windows does not, restart it and hold **F8** (or Shift while
clicking *Restart*) to start in **Safe Mode**, then tell us what error you saw.
""",
    },
    {
        "slug": "my-monitor-flickers",
        "title": "My monitor flickers",
        "category": "monitors",
        "topic": "Monitor and peripherals",
        "body": """A flickering screen is usually the cable or the refresh rate:

1. Push the video cable (HDMI or DisplayPort) firmly into the monitor and the computer,
   or try another cable.
2. In Windows, open *Settings > System > Display > Advanced display* and choose the
   highest **refresh rate** offered (usually 60 Hz).
3. Move phones and desk lamps away from the screen.

If it still flickers, the monitor may be failing: submit a ticket under *Monitor and
peripherals* and IT will replace it from the inventory.
""",
    },
]

EDITOR_NAME = "Ryan Howard"


def _categories(created: Counter) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for slug, name, parent, description in CATEGORIES:
        category, new = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "parent": categories.get(parent) if parent else None,
                "description": description,
            },
        )
        created["kb categories"] += new
        categories[slug] = category
    return categories


def demo_articles() -> Counter:
    """Load the demo's knowledge base; returns how many rows of each kind it created."""
    created: Counter = Counter()
    editor = User.objects.filter(display_name=EDITOR_NAME).first()
    it = Department.objects.filter(name="IT").first()
    agent = Agent.objects.filter(user=editor).first() if editor else None
    if agent is None or it is None:
        return created  # the ticket demo did not run
    agent_set_kb_editor(agent=agent, department=it, editor=True)
    categories = _categories(created)
    for spec in ARTICLES:
        if Article.objects.filter(slug=spec["slug"]).exists():
            continue
        article_create(
            title=spec["title"],
            body=spec["body"],
            category=categories[spec["category"]],
            department=it,
            help_topics=HelpTopic.objects.filter(name=spec["topic"]),
            state=ArticleState.PUBLISHED,
            by=editor,
        )
        created["kb articles"] += 1
    return created
