"""What the data-protection commands share: how an operator names the person."""


def person_arguments(parser) -> None:
    """--company, --phone and --email: one person of one company, as the admin page asks."""
    parser.add_argument("--company", required=True, help="company slug")
    parser.add_argument("--phone", required=True, help="the person's number, e.g. 0151 12345678")
    parser.add_argument("--email", default="", help="the person's email, if they gave one")
