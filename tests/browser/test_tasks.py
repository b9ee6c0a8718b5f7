"""Tasks in Chromium: Kevin splits Jim's CRM ticket into tasks, completes one, sees the
other on Ryan's "My tasks", and resolves the ticket after confirming the open one."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_agent_desk import login, person
from tests.support.axe import assert_accessible
from tickets.models import Status, Task, TaskStatus


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_adds_and_completes_tasks(page, live_server, crm, screenshot):
    kevin = person("Kevin Benavides")
    login(page, live_server, kevin)
    page.goto(f"/agent/tickets/{crm.number}/")

    tasks = page.locator("#ticket-tasks")
    page.get_by_label("New task").fill("Restart the CRM server")
    tasks.get_by_role("button", name="Add task").click()
    expect(tasks.get_by_text("Restart the CRM server")).to_be_visible()
    expect(page.get_by_text("Task added.")).to_be_visible()

    page.get_by_label("New task").fill("Check the CRM licence")
    tasks.get_by_role("button", name="Add task").click()
    expect(tasks.get_by_text("2 open")).to_be_visible()

    tasks.get_by_role("button", name="Complete Restart the CRM server").click()
    expect(page.get_by_text("Task done.")).to_be_visible()
    expect(tasks.get_by_text("1 open")).to_be_visible()
    screenshot("tasks-panel")
    assert_accessible(page)

    # The second one goes to Ryan through the whole form.
    licence = Task.objects.get(title="Check the CRM licence")
    page.goto(f"/agent/tasks/{licence.pk}/edit/")
    page.get_by_label("Assignee").select_option(label="Ryan Howard")
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_text("Task saved.")).to_be_visible()

    # Resolving asks first, listing the open task.
    page.locator("#ticket-aside").get_by_role("button", name="Resolve", exact=True).click()
    expect(
        page.get_by_role("heading", name=f"Resolve #{crm.number} with open tasks?")
    ).to_be_visible()
    expect(page.get_by_text("Check the CRM licence")).to_be_visible()
    screenshot("resolve-confirm")
    assert_accessible(page)
    page.get_by_role("button", name="Resolve anyway").click()
    expect(page.get_by_text("Ticket resolved.")).to_be_visible()
    crm.refresh_from_db()
    assert crm.status == Status.RESOLVED

    # Ryan finds it on My tasks and completes it there.
    page.context.clear_cookies()
    login(page, live_server, person("Ryan Howard"))
    page.goto("/agent/")
    page.get_by_role("link", name="My tasks").click()
    expect(page.get_by_role("link", name=f"#{crm.number} CRM is down")).to_be_visible()
    screenshot("my-tasks")
    assert_accessible(page)
    page.get_by_role("button", name="Complete Check the CRM licence").click()
    expect(page.get_by_text("No open tasks for you.")).to_be_visible()
    licence.refresh_from_db()
    assert licence.status == TaskStatus.DONE
