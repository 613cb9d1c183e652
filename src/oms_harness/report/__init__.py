"""Reports for reviewers and CI: Allure results and HTML, JUnit, the Markdown summary."""
