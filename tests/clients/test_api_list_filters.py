"""The API's client list takes the same filters as the list page, with the same choices: a
value the API accepts but the filter does not know would be left out silently, and the API
would answer every client."""

from django.test import Client as Browser

from partnerspace.clients.listfilters import list_filters


def _accepted(schema: dict, parameter: dict) -> set[str] | str:
    """The values an OpenAPI query parameter accepts, or its type when it is no choice."""
    for option in parameter.get("anyOf", [parameter]):
        if "$ref" in option:
            option = schema["components"]["schemas"][option["$ref"].rsplit("/", 1)[1]]
        if "enum" in option:
            return set(option["enum"])
        if "const" in option:
            return {option["const"]}
        if option.get("type") != "null":
            return option["type"]
    raise AssertionError(parameter)


def test_each_filter_of_the_list_is_an_api_parameter_with_the_same_choices(db):
    schema = Browser().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/clients"]["get"]
    parameters = {item["name"]: item["schema"] for item in operation["parameters"]}

    assert list_filters(), "the apps register their filters when they start"
    for list_filter in list_filters():
        choices = {value for value, _label in list_filter.choices}
        accepted = _accepted(schema, parameters[list_filter.param])
        if accepted == "boolean":  # register_changes=true|false stands for open|none
            assert choices == {"open", "none"}, list_filter.param
        else:
            assert accepted == choices, list_filter.param
