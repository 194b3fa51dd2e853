"""The audit log at a laptop's width: the "When" cell stays on one line."""

from audit.recording import record
from config.testing import make_user
from flinkey_sandbox import DEMO
from tests.browser.conftest import settled, signed_in_as


def test_the_when_column_is_one_line_at_1366_px(page, dashboard):
    admin = make_user("ada", role="admin")
    for number in range(5):
        record(user=admin, action="car.update", car_id=DEMO.car_id, customer_id=DEMO.customer_id,
               car_name="A car with a rather long descriptive name " * 2,
               changes={"description": {"before": "x" * 120, "after": "y" * 120},
                        "license_plate": {"before": "M-AB 1234", "after": f"M-CD {number}"}})
    page.set_viewport_size({"width": 1366, "height": 768})
    signed_in_as(page, dashboard, "ada")
    page.goto(f"{dashboard}/audit/")
    settled(page)
    cell = page.locator("table.audit tbody td.when").first
    time_element = cell.locator("time")
    line_height = time_element.evaluate(
        "e => parseFloat(getComputedStyle(e).lineHeight) || e.getClientRects()[0].height")
    rects = time_element.evaluate("e => e.getClientRects().length")
    assert rects == 1, "the date and time wrap onto several lines"
    assert time_element.bounding_box()["height"] <= line_height * 1.5
    header = page.locator("table.audit thead th.when")
    assert "Europe/Berlin" in header.inner_text()
