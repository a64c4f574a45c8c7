def test_dashboard_redirects_member_to_org_home(cast, as_user):
    response = as_user(cast.a_admin).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/o/org-a/"
