"""跟进落实 (四个跟进, domain.md §9): 约谈 cases and interviews, 定期调度, 督导督查 (→ 整改), 舆论宣传 and the
monthly checklist. A 县级填报员 sees and records only their own county (?county= of another county is refused)."""

from components import followup_view as ui, shell

ctx = shell.page("跟进落实", "pages/followup.py")
if ctx:
    with shell.guard("跟进落实"):
        shell.title("跟进落实", ctx)
        ui.render(ctx)
