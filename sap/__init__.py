"""sap: an executable statistical analysis plan for MSC trials in ankylosing spondylitis."""
__version__ = "0.1.0"
