from salama.core.management.commands.demo import site_url


def test_the_demo_site_url_brackets_an_ipv6_address():
    assert site_url("::1", 8000) == "http://[::1]:8000"
    assert site_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert site_url("localhost", 9000) == "http://localhost:9000"
