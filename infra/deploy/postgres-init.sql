-- Prefect's server keeps its own database next to Tisheng's.
CREATE DATABASE prefect OWNER tisheng;
